"""rsiwatch: finds new examples of AI improving AI development, for a curated catalog."""

from crawler.settings import package_version

__version__ = package_version()  # pyproject.toml is its one home
