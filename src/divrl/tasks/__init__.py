"""Tasks: data generation or loading, prompts, rewards and canonical forms."""
