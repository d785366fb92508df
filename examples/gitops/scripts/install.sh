#!/usr/bin/env bash
# Make the project's virtualenv, venv/: pulumi-rtk for the program, pulumi-policy for the policy
# pack (policy/ runs in the same venv). Until pulumi-rtk is on PyPI, RTK_PACKAGE names what pip
# installs it from: a wheel, or "pulumi-rtk @ git+https://<git host>/<owner>/pulumi_rtk.git".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python3 -m venv venv
venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt \
	"${RTK_PACKAGE:?set RTK_PACKAGE to a pulumi-rtk wheel, checkout or git URL}"
