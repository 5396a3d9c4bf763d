"""The soak test's marker (registered here: pyproject's marker list belongs to the whole suite)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "soak: the short soak under Airflow's real scheduler (about 5 minutes; SOAK_SKIP=1 skips it)"
    )
