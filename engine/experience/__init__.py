"""Experience rating of special-crop products from little claims history (``qilu-price``).

A product team prices a new special-crop (特色农产品) policy from a short claims-experience table
(one row per county, crop and year: sum insured and indemnity in CNY). Three estimates of each
county's expected loss cost (indemnity per unit of sum insured per year) sit side by side:

* :mod:`engine.experience.bayes` — hierarchical hurdle model in PyMC (claim-year probability and
  loss cost given a claim, county and crop random effects, partial pooling, an optional prior on
  the overall loss cost from a Qilu catastrophe run);
* :mod:`engine.experience.glm` — a Tweedie GLM (log link) with county as a factor;
* :mod:`engine.experience.credibility` — Bühlmann–Straub credibility with sum-insured weights.

:mod:`engine.experience.table` reads and validates the table, :mod:`engine.experience.settings`
the ``experience:`` block of a product config, :mod:`engine.experience.prior` the catastrophe-model
prior, :mod:`engine.experience.rates` builds the county rate table and :mod:`engine.experience.cli`
is the Hydra app. :mod:`engine.experience.simulate` draws synthetic tables from stated parameters
(demo data and tests).
"""
