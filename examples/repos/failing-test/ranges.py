"""A tiny library with one bug for the fix-failing-test workflow example."""


def inclusive_range(start, end):
    """Every integer from start to end, both included."""
    return list(range(start, end))
