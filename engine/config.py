"""Config schemas (one dataclass per Hydra group) and their validation.

The YAML tree lives in ``configs/``; these dataclasses are registered in Hydra's ConfigStore as the
schema the primary config extends, so an unknown key or a wrong type fails at composition.
Peril and product entries are dictionaries keyed by name whose ``kind`` picks an implementation
from a registry; each implementation validates its own parameters with its own dataclass.
:func:`to_settings` turns the composed config into frozen objects once, at the entry point.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, make_dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from omegaconf import MISSING, DictConfig, OmegaConf

from engine.keys import check_levels
from engine.pricing import PricingBasis

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(__file__).resolve().parent / "data"
CONFIG_DIR = PROJECT_ROOT / "configs"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"


class ConfigError(ValueError):
    """An invalid configuration; the message names the key and the fix."""


@dataclass
class PortfolioConfig:
    name: str = MISSING
    path: str = MISSING            # CSV or Parquet (Qilu columns or OED); relative to where qilu-run starts
    description: str = ""
    product: Optional[str] = None  # product of every risk of an OED file without a product column


@dataclass
class ModelConfig:
    kind: str = "qilu"             # qilu: Qilu's perils, curves and portfolio; oasis: an Oasis model folder
    dir: Optional[str] = None      # the Oasis model folder (with static/ and input/)
    n_periods: Optional[int] = None  # periods of an occurrence.csv (occurrence.bin carries its own)
    oed_location: Optional[str] = None  # exposure from an OED location file instead of input/items ...
    keys: Optional[str] = None          # ... with the model's keys file (LocNumber, CoverageTypeID, AreaPerilID, VulnerabilityID)


@dataclass
class VulnerabilityConfig:
    curves: str = "${qilu_data:vulnerability/curves.csv}"
    growth_stages: str = "${qilu_data:vulnerability/growth_stages.csv}"


@dataclass
class ClimateConfig:
    name: str = "baseline"
    description: str = ""
    # global mean warming (deg C) above the model's baseline climate (about 2005-2024); each peril
    # turns it into factors with its own per-degree sensitivities (peril.<name>.climate_sensitivity)
    warming_c: float = 0.0
    # explicit multiplicative factors (1 = today's climate) per peril kind or peril name; they
    # override the warming-derived ones (stress tests). Sources in the YAML.
    frequency: Dict[str, float] = field(default_factory=dict)
    intensity: Dict[str, float] = field(default_factory=dict)
    rainfall: Dict[str, float] = field(default_factory=dict)


@dataclass
class RunConfig:
    n_years: int = 10_000
    seed: int = 20_231
    first_year: int = 1
    chunk_years: int = 0           # 0: sized from memory_budget_mb as the run goes
    memory_budget_mb: int = 1024   # per chunk of years (event set + loss tables)
    samples: int = 0               # 0: analytical mean only; Q > 0: Q secondary-uncertainty samples
    progress: bool = True
    checkpoint: bool = True        # save each finished chunk (removed when the run completes)
    resume: bool = False           # reuse the saved chunks of an interrupted run of the same config


@dataclass
class ComputeConfig:
    kind: str = "local"
    workers: int = 1
    address: Optional[str] = None
    # how Dask workers get the plan: scatter (from the client, through the scheduler) or shared (each
    # worker reads the portfolio from Parquet in shared_dir and builds the plan itself, once)
    inputs: str = "scatter"
    shared_dir: Optional[str] = None   # shared storage every worker sees (default: <output.dir's parent>/.qilu-shared)


@dataclass
class OutputConfig:
    dir: str = MISSING
    overwrite: bool = False
    plt: bool = True
    elt: bool = True
    event_set: str = "netcdf"      # netcdf | zarr | none
    plots: bool = True
    keys: List[str] = field(default_factory=lambda: ["portfolio", "product", "county", "product/county"])
    perspectives: List[str] = field(default_factory=lambda: ["il"])   # il: insured (after terms); gul: ground-up
    ord: bool = False              # also write ORD tables (ord/) as qilu-export does
    tracks: bool = False           # write the simulated storm tracks (tracks.parquet) of perils that have them
    events: bool = False           # write each peril's per-year summary (<peril>_years.parquet), where it has one
    ord_formats: List[str] = field(default_factory=lambda: ["csv", "parquet"])
    print_keys: List[str] = field(default_factory=lambda: ["portfolio", "product/*"])
    report: bool = True            # report.html: a self-contained page of the run's results
    report_event: Optional[int] = None   # event id whose hazard report.html maps (default: the largest loss)


# Hydra needs a mutable schema; the frozen, validated PricingBasis is built from it in to_settings.
PricingConfig = make_dataclass("PricingConfig", [(f.name, f.type, field(default=f.default)) for f in fields(PricingBasis)])


@dataclass
class ScenarioConfig:
    name: str = "baseline"
    description: str = ""


@dataclass
class QiluConfig:
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    portfolio: PortfolioConfig = field(default_factory=PortfolioConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    peril: Dict[str, Any] = field(default_factory=dict)
    product: Dict[str, Any] = field(default_factory=dict)
    treaty: Dict[str, Any] = field(default_factory=dict)
    vulnerability: VulnerabilityConfig = field(default_factory=VulnerabilityConfig)
    climate: ClimateConfig = field(default_factory=ClimateConfig)
    run: RunConfig = field(default_factory=RunConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    pricing: PricingConfig = field(default_factory=PricingConfig)


EVENT_SET_FORMATS = ("netcdf", "zarr", "none")
COMPUTE_KINDS = ("local", "dask_local", "dask")


def data_path(relative: str) -> str:
    """Absolute path of a file shipped in ``engine/data`` (the ``${qilu_data:...}`` resolver)."""
    return str(DATA_DIR / relative)


def scenario_path(relative: str) -> str:
    """Absolute path of a file in the repository's ``scenarios/`` folder (``${qilu_scenarios:...}``)."""
    return str(SCENARIO_DIR / relative)


def register_resolvers() -> None:
    if not OmegaConf.has_resolver("qilu_data"):
        OmegaConf.register_new_resolver("qilu_data", data_path)
    if not OmegaConf.has_resolver("qilu_scenarios"):
        OmegaConf.register_new_resolver("qilu_scenarios", scenario_path)


def register_schema() -> None:
    """Put the schema in Hydra's ConfigStore as ``qilu_schema`` (primary config extends it)."""
    from hydra.core.config_store import ConfigStore

    register_resolvers()
    ConfigStore.instance().store(name="qilu_schema", node=QiluConfig)


def resolve_path(path: str, base: Path) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


@dataclass(frozen=True)
class Settings:
    """The frozen, validated run settings derived from a composed config."""

    config: QiluConfig
    perils: tuple       # tuple of (name, peril object), in config order
    products: tuple     # tuple of (name, product object), in config order
    pricing: PricingBasis
    portfolio_path: Path
    output_dir: Path
    curves_path: Path
    stages_path: Path
    treaties: tuple = ()   # engine.treaty.spec.Treaty, priced after the run on its PLT


def _check(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"config key '{key}': {message}")


def to_settings(cfg: DictConfig, base_dir: Path | None = None) -> Settings:
    """Validate a composed config and freeze it; raises :class:`ConfigError` naming the key."""
    from perils import build_peril
    from engine.products import build_product

    register_resolvers()
    base_dir = Path(base_dir or Path.cwd())
    try:
        obj: QiluConfig = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(QiluConfig), cfg))
    except ValueError as err:  # PricingBasis and other __post_init__ checks
        raise ConfigError(f"invalid config: {err}") from None
    except Exception as err:  # omegaconf validation errors carry the full key
        raise ConfigError(f"invalid config: {err}") from None
    run = obj.run
    _check(run.n_years >= 1, "run.n_years", f"must be >= 1, got {run.n_years}")
    _check(run.chunk_years >= 0, "run.chunk_years", "must be >= 0 (0 sizes chunks from run.memory_budget_mb)")
    _check(run.memory_budget_mb >= 16, "run.memory_budget_mb", "must be at least 16")
    _check(0 <= run.samples <= 10_000, "run.samples", "must be in 0..10000 (0 = analytical mean only)")
    _check(run.seed >= 0, "run.seed", "must be >= 0")
    _check(obj.compute.kind in COMPUTE_KINDS, "compute.kind",
           f"unknown backend '{obj.compute.kind}'; valid backends: {list(COMPUTE_KINDS)}")
    _check(obj.compute.kind != "dask" or bool(obj.compute.address), "compute.address",
           "compute=dask needs the scheduler address, e.g. compute.address=tcp://10.0.0.5:8786")
    _check(obj.compute.workers >= 1, "compute.workers", f"must be >= 1, got {obj.compute.workers}")
    _check(obj.compute.inputs in ("scatter", "shared"), "compute.inputs",
           f"'{obj.compute.inputs}' is not one of ['scatter', 'shared']")
    if obj.compute.kind != "local":
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise ConfigError("config key 'compute.kind': the Dask backend needs dask.distributed "
                              "(pip install 'dask[distributed]')") from None
    _check(obj.output.event_set in EVENT_SET_FORMATS, "output.event_set",
           f"'{obj.output.event_set}' is not one of {list(EVENT_SET_FORMATS)}")
    try:
        pricing = PricingBasis(**asdict(obj.pricing))
    except ValueError as err:
        raise ConfigError(f"config key 'pricing': {err}") from None
    try:
        check_levels(list(obj.output.keys))
    except ValueError as err:
        raise ConfigError(f"config key 'output.keys': {err}") from None
    _check(len(obj.output.perspectives) > 0 and obj.output.perspectives[0] == "il"
           and set(obj.output.perspectives) <= {"il", "gul"} and len(set(obj.output.perspectives)) == len(obj.output.perspectives),
           "output.perspectives", f"must be [il] or [il, gul], got {list(obj.output.perspectives)}")
    _check(obj.output.ord_formats and set(obj.output.ord_formats) <= {"csv", "parquet"}, "output.ord_formats",
           f"choose from [csv, parquet], got {list(obj.output.ord_formats)}")
    _check(len(obj.peril) > 0, "peril", "choose at least one peril, e.g. peril=[typhoon]")
    _check(len(obj.product) > 0, "product", "choose at least one product")
    from perils import PERILS
    _check(-1.0 <= obj.climate.warming_c <= 6.0, "climate.warming_c",
           f"global warming above the baseline in deg C must be in [-1, 6], got {obj.climate.warming_c}")
    for group in ("frequency", "intensity", "rainfall"):
        for name, value in getattr(obj.climate, group).items():
            _check(value >= 0, f"climate.{group}.{name}", f"factors must be >= 0, got {value}")
            _check(name in obj.peril or name in PERILS.names(), f"climate.{group}.{name}",
                   f"names no peril of this run ({sorted(obj.peril)}) and no peril kind ({sorted(PERILS.names())})")

    _check(obj.model.kind in ("qilu", "oasis"), "model.kind", f"'{obj.model.kind}' is not one of ['qilu', 'oasis']")
    model_dir = None
    if obj.model.kind == "oasis":
        _check(obj.model.dir is not None, "model.dir", "give the Oasis model folder: model.dir=<dir>")
        model_dir = resolve_path(obj.model.dir, base_dir)
        _check((model_dir / "static").is_dir() and (model_dir / "input").is_dir(), "model.dir",
               f"{model_dir} needs static/ and input/ folders (an Oasis model)")
        return Settings(obj, (), (), pricing, portfolio_path=model_dir, output_dir=resolve_path(obj.output.dir, base_dir),
                        curves_path=model_dir / "static", stages_path=model_dir / "static")
    perils = []
    for name, params in obj.peril.items():
        _check(isinstance(params, dict) and "kind" in params, f"peril.{name}", "needs a 'kind'")
        try:
            perils.append((name, build_peril(name, dict(params), obj.climate)))
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError(f"config key 'peril.{name}': {err.args[0] if err.args else err}") from None
    by_name = dict(perils)   # perils that draw on another (flood <- typhoon rain) are bound to it
    try:
        perils = [(name, p.bind(by_name) if hasattr(p, "bind") else p) for name, p in perils]
    except (KeyError, TypeError, ValueError) as err:
        raise ConfigError(f"config key 'peril': {err.args[0] if err.args else err}") from None
    products = []
    for name, params in obj.product.items():
        _check(isinstance(params, dict) and "kind" in params, f"product.{name}", "needs a 'kind'")
        try:
            products.append((name, build_product(name, dict(params))))
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError(f"config key 'product.{name}': {err.args[0] if err.args else err}") from None

    treaties = []
    from engine.treaty.spec import parse_treaty
    for name, params in obj.treaty.items():
        try:
            treaties.append(parse_treaty(name, dict(params)))
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError(f"config key 'treaty.{name}': {err.args[0] if err.args else err}") from None
        level = "/".join(treaties[-1].subject.split("/")[0::2])
        _check(level in obj.output.keys, f"treaty.{name}.subject",
               f"'{treaties[-1].subject}' needs the key level '{level}' in output.keys {list(obj.output.keys)}")
        _check(obj.output.plt, "output.plt", f"treaty '{name}' is priced on the PLT: set output.plt=true")
    return Settings(obj, tuple(perils), tuple(products), pricing,
                    portfolio_path=resolve_path(obj.portfolio.path, base_dir),
                    output_dir=resolve_path(obj.output.dir, base_dir),
                    curves_path=resolve_path(obj.vulnerability.curves, base_dir),
                    stages_path=resolve_path(obj.vulnerability.growth_stages, base_dir),
                    treaties=tuple(treaties))


def params_from(schema, name: str, params: dict, what: str):
    """Build a parameter dataclass from a config dict, naming unknown or missing keys."""
    from dataclasses import MISSING as DC_MISSING, fields

    params = {k: v for k, v in params.items() if k != "kind"}
    known = {f.name: f for f in fields(schema)}
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise KeyError(f"unknown key(s) {unknown} for {what} '{name}'; valid keys: {sorted(known)}")
    missing = [f for f, spec in known.items() if (f not in params or params[f] == MISSING)
               and (spec.default is DC_MISSING or spec.default == MISSING) and spec.default_factory is DC_MISSING]
    if missing:
        raise KeyError(f"{what} '{name}' needs {missing} (no default for physical values)")
    return schema(**params)
