"""Lower Yellow River flood peril (Huayuankou -> Gaocun -> Sunkou -> Aishan -> Lijin).

Modules, one idea each: ``pearson3`` (P-III distribution, moment estimates), ``sl44`` (historical
floods as a non-continuous series, curve fitting), ``bayes`` (PyMC fit with censored historical
years), ``dataset`` (the derived Huayuankou dataset), ``regulation`` (Xiaolangdi), ``hydrograph``,
``routing`` (numba kernel), ``breach`` (fragility), ``geography`` and ``sites`` (where sites lie),
``footprint`` (depth and duration), ``params`` (config) and ``peril`` (the registered peril).
"""
