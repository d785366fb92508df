"""The policy pack's entry point: the Pulumi CLI runs ``python <pack directory>``.

That puts this directory first on ``sys.path``, hence the top-level import of the policies'
module. ``PolicyPack`` serves the policies to the engine over gRPC until the engine stops it.
"""

from pulumi_policy import PolicyPack
from rtk_policies import PACK_NAME, policies

PolicyPack(name=PACK_NAME, policies=policies())
