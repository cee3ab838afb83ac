"""Oasis LMF interoperability: read Oasis model files and run them through Qilu's engine.

``files`` reads the binary/CSV formats, ``model`` maps them onto Qilu's sites, risks, curves and
events, ``plan`` builds the run plan for ``qilu-run model=oasis model.dir=<dir>``.
"""
