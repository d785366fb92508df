"""Provider semantics, one module per resource over a shared base.

The classes Pulumi pickles into state are not these: they are the permanent names in
``pulumi_rtk.provider``, which subclass them, so this package can be reorganised freely.
"""
