"""Built-in data sets: shipped files and small generators; nothing is ever downloaded.

Example::

    >>> from minitorch_bp.datasets import digits, spirals, study_sleep, two_moons, xor
"""

from minitorch_bp.datasets.digits import DIGITS_IMAGE_SHAPE, digits, digits_images
from minitorch_bp.datasets.synthetic import spirals, study_sleep, two_moons, xor

__all__ = [
    "DIGITS_IMAGE_SHAPE",
    "digits",
    "digits_images",
    "spirals",
    "study_sleep",
    "two_moons",
    "xor",
]
