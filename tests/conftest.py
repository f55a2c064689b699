import pytest

from algocloud.appconfig import load_app_config


@pytest.fixture(scope="session")
def config():
    return load_app_config()


@pytest.fixture(scope="session")
def master_data(config):
    return config.seed_datasets()[0]
