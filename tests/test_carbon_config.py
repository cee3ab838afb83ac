"""configs/carbon/*.yaml: the shipped files validate; bad values fail with the full key in the message."""
import copy

import pytest

from engine.carbon import growth, hazards, price, products
from engine.carbon.params import load_config
from engine.config import ConfigError


@pytest.fixture(scope="session")
def raw():
    return {name: load_config(name) for name in ("growth", "price", "hazards", "products")}


def test_shipped_configs_validate(raw):
    g = growth.growth_params(raw["growth"])
    assert {"poplar", "robinia", "pinus_tabuliformis", "pinus_thunbergii", "quercus", "mixed_broadleaf"} \
        <= set(g.forest_names())
    assert {"shellfish", "seaweed", "seagrass"} <= set(g.blue_names())
    price.price_params(raw["price"])
    hazards.hazard_params(raw["hazards"], forest_groups=g.forest_names())
    products.carbon_terms(raw["products"])


def edited(cfg, path, value):
    out = copy.deepcopy(cfg)
    node = out
    for part in path[:-1]:
        node = node[part]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


@pytest.mark.parametrize("path, value, key", [
    (("forest", "poplar", "growth_rate_per_year"), -0.1, "carbon.growth.forest.poplar.growth_rate_per_year"),
    (("forest", "poplar", "carbon_fraction"), 0.9, "carbon.growth.forest.poplar.carbon_fraction"),
    (("forest", "quercus", "shape"), "steep", "carbon.growth.forest.quercus.shape"),
    (("forest", "robinia", "root_shoot_ratio"), KeyError, "carbon.growth.forest.robinia.root_shoot_ratio"),
    (("forest", "robinia", "bef"), 1.4, "carbon.growth.forest.robinia"),
    (("blue", "seagrass", "carbon_fraction"), 0.0, "carbon.growth.blue.seagrass.carbon_fraction"),
])
def test_growth_errors_name_the_key(raw, path, value, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        growth.growth_params(edited(raw["growth"], path, value))


@pytest.mark.parametrize("path, value, key", [
    (("model",), "heston", "carbon.price.model"),
    (("volatility_per_year",), -0.3, "carbon.price.volatility_per_year"),
    (("start_price_cny",), 0, "carbon.price.start_price_cny"),
    (("mean_reversion_per_year",), KeyError, "carbon.price.mean_reversion_per_year"),
    (("draw",), "sometimes", "carbon.price.draw"),
])
def test_price_errors_name_the_key(raw, path, value, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        price.price_params(edited(raw["price"], path, value))


def test_gbm_has_no_stationary_draw(raw):
    cfg = edited(edited(raw["price"], ("model",), "gbm"), ("draw",), "stationary")
    with pytest.raises(ConfigError, match=r"carbon\.price\.draw.*log_ou"):
        price.price_params(cfg)


@pytest.mark.parametrize("path, value, key", [
    (("fire", "base_probability"), 1.2, "carbon.hazards.fire.base_probability"),
    (("fire", "burned_share_cv"), 5.0, "carbon.hazards.fire.burned_share_cv"),
    (("fire", "county_multiplier", 110101), 2.0, "carbon.hazards.fire.county_multiplier.110101"),
    (("pests", "pine_wilt", "hosts"), ["pinus_massoniana"], "carbon.hazards.pests.pine_wilt.hosts"),
    (("pests", "white_moth", "drought_coefficient"), None, "carbon.hazards.pests.white_moth.drought_coefficient"),
    (("marine_heat", "groups", "shellfish", "window_doy"), [273, 152], "carbon.hazards.marine_heat.groups.shellfish.window_doy"),
])
def test_hazard_errors_name_the_key(raw, path, value, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        hazards.hazard_params(edited(raw["hazards"], path, value), forest_groups=growth.load_growth().forest_names())


@pytest.mark.parametrize("path, value, key", [
    (("sink_index", "grades"), [[0.3, 0.4], [0.15, 0.2]], "carbon.products.sink_index.grades"),
    (("sink_index", "grades"), [[1.5, 1.0]], "carbon.products.sink_index.grades"),
    (("sink_value", "deductible_share"), 1.0, "carbon.products.sink_value.deductible_share"),
    (("delivery", "limit_multiple"), 0.0, "carbon.products.delivery.limit_multiple"),
])
def test_product_errors_name_the_key(raw, path, value, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        products.carbon_terms(edited(raw["products"], path, value))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config("growth", tmp_path / "nope.yaml")
