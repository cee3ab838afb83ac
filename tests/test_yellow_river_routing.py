"""Yellow River routing: volume conservation, Dongping Lake, breach fragility, hydrograph calibration."""
import numpy as np
import pytest
from omegaconf import OmegaConf

from engine.config import CONFIG_DIR
from perils.yellow_river import hydrograph
from perils.yellow_river.breach import fragility_curve
from perils.yellow_river.params import routing_records, settings_from
from perils.yellow_river.routing import Lakes, route


@pytest.fixture(scope="module")
def settings():
    params = OmegaConf.to_container(OmegaConf.load(CONFIG_DIR / "peril" / "yellow_river.yaml"))
    return settings_from("yellow_river", params)


def wave(settings, peak, hours=1500):
    return hydrograph.wave(settings.hydrograph, peak, settings.routing.dt_hours, hours)


@pytest.mark.parametrize("peak", [3000.0, 9000.0, 22300.0, 42000.0])
def test_routing_conserves_volume(settings, peak):
    """inflow = outflow + floodplain + Dongping + breach + channel storage change, to rounding."""
    reaches, lakes, fragility = routing_records(settings)
    for breach_u in (np.ones(4), np.zeros(4)):   # never / always breach (where the flow is positive)
        event = route(wave(settings, peak), 1.0, reaches, lakes, fragility, breach_u)
        b = event.balance()
        assert abs(b["residual"]) < 1e-9 * b["inflow"]
        if event.breach_reach < 0:   # the wave has left the river: steady again at the last step
            assert abs(event.flow[-1, -1] - event.flow[0, -1]) < 0.01
        assert min(b["outflow"], b["floodplain"], b["dongping"], b["breach"]) >= 0


def test_peaks_attenuate_downstream_and_arrive_later(settings):
    reaches, lakes, fragility = routing_records(settings)
    event = route(wave(settings, 22300.0), 1.0, reaches, lakes, fragility, np.ones(4))
    assert np.all(np.diff(event.peaks) < 0)
    assert np.all(np.diff(np.argmax(event.flow, axis=1)) > 0)
    travel = np.argmax(event.flow[-1]) - np.argmax(event.flow[0])
    assert 0.8 * settings.routing.travel_time_h < travel < 1.3 * settings.routing.travel_time_h   # 187 h [S]


def test_dongping_keeps_aishan_at_or_below_10000_while_capacity_remains(settings):
    reaches, lakes, fragility = routing_records(settings)
    big = Lakes(lakes.reach, lakes.threshold_m3s, 1e9, np.array([5e9, 5e9]))   # ample gates and storage
    no_spill = reaches._replace(spill_fraction=np.zeros(4))                    # only the lake acts
    for peak in (16000.0, 22300.0, 30000.0):
        event = route(wave(settings, peak), 1.0, no_spill, big, fragility, np.ones(4))
        sunkou, aishan = event.flow[2].max(), event.flow[3].max()
        assert sunkou > 10_000 and aishan <= 10_000 * (1 + 1e-12)
        assert event.lake_m3[0] > 0
    # the old lake fills first, then the new lake takes the rest
    small_old = Lakes(lakes.reach, lakes.threshold_m3s, 1e9, np.array([1e8, 5e9]))
    event = route(wave(settings, 22300.0), 1.0, no_spill, small_old, fragility, np.ones(4))
    assert event.lake_m3[0] == pytest.approx(1e8) and event.lake_m3[1] > 0
    assert event.lake_start_h[1] > event.lake_start_h[0]
    assert event.flow[3].max() <= 10_000 * (1 + 1e-12)


def test_without_lake_capacity_aishan_exceeds_10000(settings):
    reaches, lakes, fragility = routing_records(settings)
    none = Lakes(lakes.reach, lakes.threshold_m3s, lakes.max_diversion_m3s, np.zeros(2))
    event = route(wave(settings, 30000.0), 1.0, reaches._replace(spill_fraction=np.zeros(4)), none, fragility, np.ones(4))
    assert event.flow[3].max() > 10_000 and event.lake_m3.sum() == 0


def test_breach_fragility_is_monotone_and_centred(settings):
    b = settings.breach
    flows = np.linspace(0.0, 30_000.0, 301)
    p = fragility_curve(flows, 11_000.0, b.median_ratio, b.beta)
    assert p[0] == 0.0 and np.all(np.diff(p) >= 0) and p[-1] > 0.99
    assert fragility_curve(11_000.0 * b.median_ratio, 11_000.0, b.median_ratio, b.beta) == pytest.approx(0.5)


def test_breach_diverts_flow_and_is_recorded(settings):
    reaches, lakes, fragility = routing_records(settings)
    event = route(wave(settings, 30000.0), 1.0, reaches, lakes, fragility, np.array([0.0, 1.0, 1.0, 1.0]))
    assert event.breach_reach == 0 and event.breach_m3 > 0
    intact = route(wave(settings, 30000.0), 1.0, reaches, lakes, fragility, np.ones(4))
    assert event.flow[1].max() < intact.flow[1].max()


def test_hydrograph_reproduces_the_1958_duration(settings):
    """REFERENCE.md [S]: 22,300 m3/s peak, above 10,000 m3/s for 79 h."""
    q = hydrograph.wave(settings.hydrograph, 22300.0, 0.01, 60_000)
    assert q.max() == pytest.approx(22300.0, rel=1e-6)
    assert (q > 10_000).sum() * 0.01 == pytest.approx(79.0, abs=0.02)
    # the volume above base flow matches the closed form (Q_p - Q_b) t_p g(m)
    t_p = hydrograph.time_to_peak(settings.hydrograph, 22300.0)
    closed = (22300.0 - settings.hydrograph.base_flow_m3s) * t_p * hydrograph.volume_factor(settings.hydrograph.shape)
    assert (q - settings.hydrograph.base_flow_m3s).sum() * 0.01 == pytest.approx(closed, rel=1e-4)
