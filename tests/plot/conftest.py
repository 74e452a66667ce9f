import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("evalkit_test_fake", Path(__file__).parents[1] / "report" / "fake.py")
fake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake)


@pytest.fixture(scope="session")
def long_table():
    return fake.fake_table()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
