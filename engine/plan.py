"""RunPlan: everything derived from the settings before the first chunk runs.

Loads and validates the portfolio against the configured products and vulnerability, builds the
aggregation keys, and packs the kernel records. ``ChunkInputs`` is the picklable part a worker
needs to compute any chunk of years; it holds no file handles and no config objects.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import dtypes
from engine.config import ConfigError, Settings
from engine.keys import Keys, build_keys
from engine.kernels import SEASONAL, Curves, Exposure, Policies, check_records, risk_flags
from engine.portfolio import Portfolio, PortfolioError, Sites, load_portfolio
from engine.vulnerability import load_vulnerability


@dataclass(frozen=True)
class ChunkInputs:
    """What computing one chunk of years needs (picklable: plain arrays and small objects)."""

    perils: tuple          # peril objects, index = peril index in event ids
    sites: Sites
    perspectives: tuple    # ((name, Exposure, Policies), ...): "il" insured loss, "gul" ground-up
    curves: Curves
    n_keys: int
    seed: int
    samples: int
    parametric: object = None   # engine.parametric.ParametricInputs when the run has index covers
    crop: object = None         # engine.kernels.CropTerms of full-cost covers (None: neutral)
    relevant: object = None     # bool[n_perils, S]: sites where a peril's footprint can matter (None: all)
    carbon: object = None       # engine.carbon.losses.CarbonInputs when the run has carbon covers


@dataclass(frozen=True)
class RunPlan:
    settings: Settings
    portfolio: Portfolio
    keys: Keys
    inputs: ChunkInputs
    years: np.ndarray       # int64[Y], all simulated years
    product_names: tuple
    input_files: dict       # name -> Path of every input, checksummed in provenance.json
    warnings: tuple = ()    # facts the user should know (in summary.json _run.warnings and printed)

    @property
    def placeholder(self) -> bool:
        return any(getattr(p, "placeholder", False) for p in self.inputs.perils)


def ground_up(exposure: Exposure) -> tuple[Exposure, Policies]:
    """The ground-up view of an exposure: no deductible, franchise, coinsurance or policy terms
    (the limit stays the value: damage ratios never exceed 1)."""
    n = exposure.value.shape[0]
    n_pol = int(exposure.policy.max()) + 1 if n else 0
    gul = exposure._replace(deductible=np.zeros(n), limit=exposure.value.copy(), franchise=np.zeros(n),
                            coinsurance=np.ones(n), flags=(exposure.flags & SEASONAL).astype(np.uint8))
    return gul, Policies(np.zeros(n_pol), np.full(n_pol, np.inf))


def _binding_limits(portfolio: Portfolio) -> np.ndarray:
    """Policy limits, with inf where a limit can never bind (>= the sum of its risks' maximum payouts).

    Exact, and it lets the kernels skip the policy stage for such policies.
    """
    t = portfolio.table
    most = np.bincount(portfolio.policy_index, weights=(t["limit"] * t["coinsurance"]).to_numpy(),
                       minlength=len(portfolio.policy_ids))
    return np.where(portfolio.policy_limit >= most, np.inf, portfolio.policy_limit)


def per_risk_exposure(rows, site_of_risk, n_sites: int, physical: Exposure, value=None):
    """Kernel records of the portfolio ``rows`` with one key per risk and no policy terms: the risks'
    own terms and class (or, with ``value``, that value and no terms at all, so an event's loss is
    its damage ratio x value). Used for the basis risk of index covers and the carbon plots' damage."""
    n = rows.size
    site = site_of_risk[rows]
    order = np.argsort(site, kind="stable").astype(dtypes.RISK)
    offsets = np.zeros(n_sites + 1, dtypes.OFFSET)
    np.cumsum(np.bincount(site, minlength=n_sites), out=offsets[1:])
    pick = lambda a: np.ascontiguousarray(a[rows])  # noqa: E731
    no_terms = Policies(np.zeros(n), np.full(n, np.inf))
    if value is None:
        terms = {"value": pick(physical.value), "deductible": pick(physical.deductible), "limit": pick(physical.limit),
                 "franchise": pick(physical.franchise), "coinsurance": pick(physical.coinsurance)}
    else:
        terms = {"value": np.full(n, float(value)), "deductible": np.zeros(n), "limit": np.full(n, float(value)),
                 "franchise": np.zeros(n), "coinsurance": np.ones(n)}
    ex = Exposure(site_offsets=offsets, site_risks=order, **terms, klass=pick(physical.klass),
                  policy=np.arange(n, dtype=np.int32),
                  flags=risk_flags(np.zeros(n, np.bool_), terms["franchise"], terms["coinsurance"], np.arange(n),
                                   no_terms.deductible, no_terms.limit),
                  uid=pick(physical.uid), leaf=np.arange(n, dtype=np.int32),
                  leaf_keys=np.arange(n, dtype=np.int32)[:, None].copy())
    check_records(ex, no_terms)
    return ex, no_terms


def _parametric_inputs(rows, portfolio: Portfolio, physical: Exposure, keys: Keys, products: dict, measures,
                       peril_kinds=()):
    """Parametric risks, their schedules and the basis-risk exposure (physical class, risk terms,
    no policy terms, one key per risk)."""
    from engine.parametric import build_parametric

    t = portfolio.table
    schedules = {name: p.index for name, p in products.items() if p.basis == "index"}
    # an index no peril of the run measures never triggers (e.g. the typhoon index in a flood-only run)
    n_sites = len(portfolio.sites)
    limit = (t["limit"] * t["coinsurance"]).to_numpy(np.float64)
    return build_parametric(rows, portfolio.site_index, limit, keys.leaf, t["product"].to_numpy(), schedules,
                            n_sites, per_risk_exposure(rows, portfolio.site_index, n_sites, physical), peril_kinds)


def _relevant_sites(curve_index, physical: Exposure, index_rows, portfolio: Portfolio, no_curve: int):
    """bool[n_perils, S]: a site matters to a peril if one of its risks has a curve for the peril's
    hazard, or is a parametric risk (its index may read any peril). Footprint entries elsewhere are
    dropped before the kernels: they could never cause a loss."""
    n_sites = len(portfolio.sites)
    site_of_risk = portfolio.site_index
    out = np.zeros((curve_index.shape[0], n_sites), bool)
    for i in range(curve_index.shape[0]):
        damaging = curve_index[i, physical.klass] >= 0
        out[i, site_of_risk[damaging]] = True
    if len(index_rows):
        out[:, site_of_risk[index_rows]] = True
    return out


def _carbon_inputs(settings: Settings, portfolio: Portfolio, perils: tuple, products: dict, physical: Exposure,
                   keys: Keys):
    """The carbon step's inputs: the book of carbon plots and the run's carbon-sink peril."""
    from engine.carbon.book import carbon_book
    from engine.carbon.losses import CarbonInputs

    index = next((i for i, p in enumerate(perils) if hasattr(p, "drivers") and p.hazard == "carbon_sink"), None)
    names = sorted({p for p in portfolio.table["product"] if products[p].basis == "carbon"})
    if index is None:   # like an index no peril measures: the covers lose nothing in this run
        return None, (f"carbon covers {names} lose nothing in this run: their losses come through the "
                      "carbon_sink peril (add peril=[...,carbon_sink])")
    book = carbon_book(portfolio.table, products, perils[index].growth, source=settings.portfolio_path)
    binding = np.isfinite(_binding_limits(portfolio))[portfolio.policy_index[book.risk]]
    if binding.any():
        row = int(book.risk[np.flatnonzero(binding)[0]])
        raise PortfolioError(f"{settings.portfolio_path}, row {row + 2}, column 'policy_limit': carbon covers apply "
                             "their terms per plot and year; a policy limit below the plots' limits does not apply "
                             "(leave it empty)")
    # value 1, no terms: the kernels' loss of an event on a plot is the share of its sink destroyed
    damage, _ = per_risk_exposure(book.risk, portfolio.site_index, len(portfolio.sites), physical, value=1.0)
    return CarbonInputs(book, damage, index, perils[index], keys.leaf[book.risk].astype(np.int32)), None


def _crop_terms(table, products: dict):
    """CropTerms of the full-cost covers (None when the run has none): per risk trigger and total-loss
    level, and a stage-cap row per (product, class)."""
    from engine.kernels import CropTerms

    if not any(p.crop_rules is not None for p in products.values()):
        return None
    n = len(table)
    trigger, total = np.zeros(n), np.full(n, 2.0)
    rows, index = [np.ones(367)], {}
    cap_row = np.zeros(n, np.int32)
    for name, product in products.items():
        rules = product.crop_rules
        if rules is None:
            continue
        mine = (table["product"] == name).to_numpy()
        trigger[mine], total[mine] = rules.trigger, rules.total_loss
        for cls in product.classes:
            index[(name, cls)] = len(rows)
            rows.append(rules.cap_by_day(cls))
            cap_row[mine & (table["asset_class"] == cls).to_numpy()] = index[(name, cls)]
    return CropTerms(trigger, total, cap_row, np.vstack(rows))


def build_plan(settings: Settings) -> RunPlan:
    """Load inputs and derive the run plan; raises ConfigError/PortfolioError before any output."""
    if settings.config.model.kind == "oasis":
        from engine.oasis.plan import build_oasis_plan
        return build_oasis_plan(settings)
    vuln = load_vulnerability(settings.curves_path, settings.stages_path)
    products = dict(settings.products)
    unknown = sorted({c for p in products.values() for c in p.classes} - set(vuln.classes))
    if unknown:
        raise ConfigError(f"config key 'product': asset class(es) {unknown} have no vulnerability curves; "
                          f"known classes: {list(vuln.classes)}")
    portfolio = load_portfolio(settings.portfolio_path, products, vuln.classes, settings.config.portfolio.product)
    t = portfolio.table
    for name, product in products.items():
        rows = t["product"] == name
        stray = sorted(set(t.loc[rows, "asset_class"]) - set(product.classes))
        if stray:
            first = int(np.flatnonzero((rows & t["asset_class"].isin(stray)).to_numpy())[0])
            raise PortfolioError(f"{settings.portfolio_path}, row {first + 2}, column 'asset_class': product "
                                 f"'{name}' does not cover {stray}; it covers {list(product.classes)}")

    keys = build_keys(t, tuple(settings.config.output.keys))
    site_order = np.argsort(portfolio.site_index, kind="stable").astype(dtypes.RISK)
    site_offsets = np.zeros(len(portfolio.sites) + 1, dtypes.OFFSET)
    np.cumsum(np.bincount(portfolio.site_index, minlength=len(portfolio.sites)), out=site_offsets[1:])
    seasonal = np.array([products[p].basis == "season" for p in t["product"]], dtype=np.bool_)
    klass = vuln.class_index(t["asset_class"].to_numpy())
    physical = Exposure(
        site_offsets=site_offsets, site_risks=site_order,
        value=t["value"].to_numpy(np.float64), deductible=t["deductible"].to_numpy(np.float64),
        limit=t["limit"].to_numpy(np.float64), franchise=t["franchise"].to_numpy(np.float64),
        coinsurance=t["coinsurance"].to_numpy(np.float64),
        klass=klass, policy=portfolio.policy_index,
        flags=risk_flags(seasonal, t["franchise"].to_numpy(), t["coinsurance"].to_numpy(), portfolio.policy_index,
                         portfolio.policy_deductible, _binding_limits(portfolio)), uid=portfolio.uid, leaf=keys.leaf, leaf_keys=keys.leaf_keys)
    policies = Policies(portfolio.policy_deductible, _binding_limits(portfolio))
    check_records(physical, policies)
    # parametric risks pay by index, not damage: in the insured view their class is one without curves
    index_rows = np.flatnonzero([products[p].basis == "index" for p in t["product"]]).astype(np.int32)
    carbon_rows = np.array([products[p].basis == "carbon" for p in t["product"]], bool)
    no_curve = len(vuln.classes)
    # carbon covers lose by the carbon step (engine/carbon/losses.py), not by their class's curves
    priced = physical._replace(klass=np.where(carbon_rows, no_curve, klass).astype(np.int16)) if carbon_rows.any() \
        else physical
    exposure = priced
    if index_rows.size:
        exposure = priced._replace(klass=np.where(np.isin(np.arange(len(t)), index_rows), no_curve, priced.klass)
                                   .astype(np.int16))

    peril_objs = tuple(p for _, p in settings.perils)
    measures = []
    for p in peril_objs:
        measures += [m for m in p.measures if m not in measures]
    curve_rows = vuln.peril_rows([p.hazard for p in peril_objs])
    if np.all(curve_rows < 0):
        raise ConfigError(f"config key 'peril': no vulnerability curves for perils {[p.name for p in peril_objs]}; "
                          f"curves exist for {list(vuln.perils)}")
    curve_index = np.full((len(peril_objs), no_curve + 1), -1, np.int32)   # last column: no curves
    for i, row in enumerate(curve_rows):
        if row >= 0:
            curve_index[i, :no_curve] = vuln.curve_index[row]
    susceptibility = np.vstack([vuln.susceptibility, np.ones((1, vuln.susceptibility.shape[1]))])
    curves = Curves(curve_index, vuln.measure_columns(measures), vuln.x_max, vuln.mean, vuln.var, vuln.cdf,
                    vuln.bin_low, vuln.bin_high, susceptibility, (vuln.bin_low + vuln.bin_high) / 2,
                    vuln.curve_next)
    run = settings.config.run
    # ground-up: the physical damage of every risk, parametric ones included
    perspectives = tuple((name, *{"il": (exposure, policies), "gul": ground_up(priced)}[name])
                         for name in settings.config.output.perspectives)
    kinds = tuple(str(settings.config.peril[name]["kind"]) for name, _ in settings.perils)
    parametric = (_parametric_inputs(index_rows, portfolio, physical, keys, products, measures, kinds)
                  if index_rows.size else None)
    carbon, carbon_warning = (_carbon_inputs(settings, portfolio, peril_objs, products, physical, keys)
                              if carbon_rows.any() else (None, None))
    inputs = ChunkInputs(peril_objs, portfolio.sites, perspectives, curves, len(keys.names), run.seed, run.samples,
                         parametric, _crop_terms(t, products), _relevant_sites(curve_index, physical, index_rows,
                                                                                 portfolio, no_curve), carbon)
    years = np.arange(run.first_year, run.first_year + run.n_years, dtype=dtypes.YEAR)
    input_files = {"portfolio": settings.portfolio_path, "vulnerability_curves": settings.curves_path,
                   "growth_stages": settings.stages_path}
    return RunPlan(settings, portfolio, keys, inputs, years, tuple(products), input_files,
                   (carbon_warning,) if carbon_warning else ())
