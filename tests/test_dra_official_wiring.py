"""train.dra_official_code reaches the reward and the trainer (run.py), and a worked
solution reaches the official verifier (formats -> prepare -> the TRL dataset)."""

from divrl.data import formats
from divrl.tasks.math_rewards import cosine_reward
from divrl.train.run import build_trainer


from divrl.settings.train import TrainSpec
def test_the_switch_reaches_the_trainer_and_the_reward(tiny_base, tmp_path):
    rows = [{"id": f"m{i}", "prompt": f"{i}+{i}=", "task": "math", "answer": str(2 * i),
             "solution": f"So it is $\\boxed{{{2 * i + 1}}}$."} for i in range(1, 9)]
    spec = TrainSpec(steps=1, prompts_per_step=2, num_generations=4, reward="dra_official", dra_official_code=True)
    trainer = build_trainer("dra_grpo", {}, 0, spec, str(tiny_base), rows, tmp_path / "ck")
    assert trainer.dra_official_code and trainer.embed.max_tokens == 3584
    assert "solution" in trainer.train_dataset.column_names
    _, cosine, _ = trainer.reward_funcs
    # the gold is the solution (3), not the answer (2)
    assert cosine([None], ["\\boxed{3}"], answer=["2"], solution=[rows[0]["solution"]]) == [
        cosine_reward(True, len("\\boxed{3}"))]


def test_math_rows_keep_their_worked_solution():
    row = formats.math_problem({"problem": "1+1?", "answer": "2", "solution": "$1+1=\\boxed{2}$"})
    assert row["solution"] == "$1+1=\\boxed{2}$"
