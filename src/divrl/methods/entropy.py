"""Global entropy regularisation baselines (the DS paper's Figure 4/5 comparison).

`entropy_bonus`   GRPO loss − α · mean token entropy (more exploration)
`entropy_penalty` GRPO loss + α · mean token entropy (sharper policy)

Both use TRL's own `entropy_coef` (mean per-token entropy over completion tokens,
same meaning for every loss type). α = 0.01 is ours; the DS paper sweeps it.
"""

from pydantic import Field

from divrl.methods.hyperparameters import Hyperparameters
from divrl.methods.registry import Method, register


class EntropyParams(Hyperparameters):
    alpha: float = Field(0.01, ge=0, description="α: weight of the mean token entropy (its sign is the method's)")


for _name, _sign, _summary in (
    ("entropy_bonus", +1.0, "GRPO − α·mean token entropy (global entropy bonus)"),
    ("entropy_penalty", -1.0, "GRPO + α·mean token entropy (global entropy penalty)"),
):
    register(
        Method(
            name=_name,
            summary=_summary,
            paper="baseline in arXiv 2511.19942",
            loss_type="grpo",
            hyperparameters=EntropyParams,
            trl_args=(lambda sign: lambda hp: {"entropy_coef": sign * hp.alpha})(_sign),
        )
    )
