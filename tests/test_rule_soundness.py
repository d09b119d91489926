"""Each shipped rule against an independent reference: both sides, built for
random leg-group lengths and declarations, are evaluated by plain numpy.einsum
(`test_numeric.ref_diagram`, not the package's contraction code) on random
tensors of the variables' kinds and must agree; and a copy of the rule with
its right side scaled by 2 (or, for a right side that is 0, made 1) is
refused when checked."""
from dataclasses import replace

import numpy as np
import pytest

from rewrite.core.errors import InputError
from rewrite.rewriting.ruleset import check_rule, core_rules, definition_rules, gauge_rules, sides
from test_numeric import instance_for, ref_diagram

RULES = core_rules() + gauge_rules() + definition_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
@pytest.mark.parametrize("seed", [0, 1])
def test_shipped_rule_agrees_with_a_numpy_reference(rule, seed):
    for k, (lhs, rhs) in enumerate(sides(rule, seed)):
        inst = instance_for(lhs, rhs, seed=seed * 100 + k)
        left, right = ref_diagram(lhs, inst), ref_diagram(rhs, inst)
        assert left.shape == right.shape
        assert np.allclose(left, right, atol=1e-8, rtol=1e-6), (rule.name, k)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_a_perturbed_copy_of_a_shipped_rule_is_refused(rule):
    coeff = 2 * rule.rhs.coeff if rule.rhs.coeff != 0 else 1
    wrong = replace(rule, name=rule.name + "_perturbed", rhs=replace(rule.rhs, coeff=coeff))
    with pytest.raises(InputError, match="unsound"):
        check_rule(wrong)
