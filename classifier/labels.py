"""What the classifier's answers mean, importable without numpy (the CLI and the config read them).

The nine catalog categories a work may be filed under, each with a short descriptor text from the
catalog's rules (a category with two catalog entries still gets a sensible centroid in categories.py),
and the default threshold on the calibrated score.
"""

from __future__ import annotations

# 0.5 = the top 1% of the stream (see calibration.py): about 70 arXiv papers a week from cs.LG, AI, CL,
# NE, AR and PL, which fits a curator's weekly sitting; 0.25 would be the top 10%.
DEFAULT_THRESHOLD = 0.5

CATEGORY_TEXT: dict[str, str] = {
    "training-data-self-play": (
        "self-play; synthetic, self-generated or AI-filtered training data; AI-assisted labelling; "
        "model generates its own training data, data synthesis, self-instruct, self-improvement through "
        "self-generated tasks and curricula, model-based data filtering and selection"),
    "architecture-algorithm-search": (
        "neural architecture search NAS; discovered activations, optimizers, losses, RL rules; learned "
        "optimizers; AutoML; automated algorithm discovery, evolutionary program search for algorithms"),
    "feedback-evaluation-alignment": (
        "AI feedback and reward models, LLM judges used in training, RLAIF, AI-written evals, automated "
        "red-teaming, automated interpretability, model critiques and self-rewarding"),
    "compilers-kernels": (
        "learned compiler heuristics, ML in compilers, tensor-program tuning, auto-tuning, discovered "
        "matmul and sort routines, LLM-generated GPU kernels, CUDA kernel optimisation"),
    "prompt-agent-optimization": (
        "automatic prompt optimisation, automated agent design, agentic workflow search, self-modifying "
        "agents that rewrite their own code, prompts, tools or weights"),
    "hardware-design": (
        "chip floorplanning, placement and routing with reinforcement learning, arithmetic circuits, "
        "accelerator architecture design space exploration, LLMs for chip design, RTL and Verilog generation"),
    "coding-assistance": (
        "code assistants used by AI engineers; AI-written share of code at AI labs; LLM coding agents "
        "writing machine learning code"),
    "infrastructure-datacenter": (
        "data-centre cooling control, device placement, AI cluster scheduling, ML for GPU cluster resource "
        "management and training job scheduling"),
    "research-automation": (
        "end-to-end AI research agents: ideas to experiments to papers; AI scientist, automated ML research, "
        "ML-engineering agents that run experiments"),
}
CATEGORY_SLUGS: tuple[str, ...] = tuple(CATEGORY_TEXT)
