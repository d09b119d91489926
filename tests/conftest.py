"""Test configuration: hypothesis profiles.

`dev` (default) keeps local runs quick; `ci` (selected when CI=true) runs more
examples with no deadline so that a slow shared machine never fails a property
by timing alone.  Every property runs under both: CI changes the budget, never
which laws are checked.
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser):
    """`pytest tests/test_pictures.py --update-golden` rewrites the golden
    layouts in tests/golden after a deliberate change to the drawing."""
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*.json from the current layout")
