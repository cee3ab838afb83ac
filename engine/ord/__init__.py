"""Export a finished run folder to the Oasis ORD (Open Results Data) layout.

``export_ord(run)`` writes ``<run>/ord/`` (built in a hidden ``.ord.partial-<pid>`` folder and
renamed when complete): one summary set per key level, numbered S1, S2, ... in the run's level
order, each with ``il_S{n}_summary-info.csv`` (summary_id -> key name and dimension values) and
the tables ``il_S{n}_{selt,melt,qelt,splt,mplt,qplt,palt,alct,ept,psept}.{csv,parquet}`` with the
ORD column names and order (``gul_S{n}_...`` too when the run kept ground-up results), plus
``README.txt``.

Qilu -> ORD: year -> Period ``year - first_year + 1`` (weight 1/P); event -> its source event
(itself, or the Oasis event of an imported model; EventRate = occurrences / P); day of year ->
Month/Day of a non-leap year at 00:00; sample -1 (analytical mean) -> SampleId -1 / SampleType 1 /
EPCalc 1, samples 1..Q -> SampleId 1..Q. Values follow the rules of the Oasis tools eltpy, pltpy,
aalpy and lecpy (oasislmf 2.5.8, docs/oasis.md §5-7), quirks included; ``tests/test_ord.py`` checks
them by hand and against the tools.

Data layout inside: the tables of one key level at a time are dicts of column arrays with the
run's key index ``key`` (into the summary.json key order); :func:`_split_level` turns ``key`` into
the level's 1-based SummaryId and types the columns.

Modules: ``run`` (reading the run folder), ``events`` (event and period tables), ``curves`` (EP
curves and AAL tables), ``export`` (the ORD folder and ``qilu-export``).
"""
from engine.ord.curves import aal_tables, alct_subsets, ep_points, ep_tables, normal_quantile
from engine.ord.events import event_tables
from engine.ord.export import export_ord, main, summary_info, summary_sets
from engine.ord.run import COLUMNS, ExportError, RunData, load_run

__all__ = ["COLUMNS", "ExportError", "RunData", "aal_tables", "alct_subsets", "ep_points", "ep_tables",
           "event_tables", "export_ord", "load_run", "main", "normal_quantile", "summary_info", "summary_sets"]
