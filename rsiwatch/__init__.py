"""rsiwatch: finds new examples of AI improving AI development, for a curated catalog."""

__version__ = "0.1.0"
