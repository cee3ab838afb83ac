"""Carbon insurance (issue 7): forest and blue-carbon sink covers priced in the run.

* :mod:`engine.carbon.growth` — forest and blue-carbon plots -> carbon stock and annual sequestration;
* :mod:`engine.carbon.price` — stochastic national carbon market (CEA) price per simulated year;
* :mod:`engine.carbon.hazards` — fire, pests (drought-conditioned) and marine heat on the sink;
* :mod:`engine.carbon.products` — the covers' terms, premium per mu, carbon-price sensitivity;
* :mod:`engine.carbon.params` — reading and validating ``configs/carbon/*.yaml``;
* :mod:`engine.carbon.book` — the portfolio's carbon plots;
* :mod:`engine.carbon.losses` — per chunk: shares lost per plot and year -> losses under each cover;
* :mod:`engine.carbon.outputs` — the run's carbon files.

Method, parameters with sources and the run's outputs: ``docs/carbon.md``.
"""
