"""carecircle: check and fix the 15-minute elder-care service circle (15分钟养老服务圈)."""

from carecircle.errors import CarecircleError

__version__ = "0.1.0"

__all__ = ["CarecircleError", "__version__"]
