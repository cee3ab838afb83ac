"""Carbon insurance building blocks (issue 7): pure, tested modules, not yet wired into the run.

* :mod:`engine.carbon.growth` — forest and blue-carbon plots -> carbon stock and annual sequestration;
* :mod:`engine.carbon.price` — stochastic national carbon market (CEA) price per simulated year;
* :mod:`engine.carbon.hazards` — fire, pests (drought-conditioned) and marine heat on the sink;
* :mod:`engine.carbon.products` — sink value, sink index and credit-delivery terms, premium per mu,
  carbon-price sensitivity;
* :mod:`engine.carbon.params` — reading and validating ``configs/carbon/*.yaml``.

Method, parameters with sources and what remains to wire: ``docs/carbon.md``.
"""
