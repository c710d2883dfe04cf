"""The plan as text: Terraform-style lines, summary, removals, colours, Refs and a stable order."""

from __future__ import annotations

import random
from dataclasses import replace

from reconciler.core.plan import Action, Plan, Ref, Removal
from reconciler.core.render import render_plan

DEV, STAGING, PROD = "111122223333", "444455556666", "777788889999"
COPY = "prod/us-west-2/financial-analyst/copy"
PRUNING_DISABLED = "pruning is disabled (enable it with --prune or spec.prune in the environment)"
ESC = "\033"


def action(address: str, change: str = "create", *, wave: int = 0, **fields: object) -> Action:
    base = Action(
        address=address,
        change="create",
        service="bedrock",
        operation="CreateModelCopyJob",
        account=PROD,
        region="us-west-2",
        params={},
        reason=f"reason for {address}",
        wave=wave,
    )
    return replace(base, change=change, **fields)  # type: ignore[arg-type]


def removal(address: str, blocked_by: str = PRUNING_DISABLED) -> Removal:
    return Removal(
        address=address,
        kind="provisioned-throughput",
        account=STAGING,
        region="us-east-1",
        arn=f"arn:aws:bedrock:us-east-1:{STAGING}:provisioned-model/{address.split('/')[2]}",
        reason="no longer declared",
        blocked_by=blocked_by,
    )


def plan(*actions: Action, removals: tuple[Removal, ...] = (), warnings: tuple[str, ...] = ()) -> Plan:
    return Plan(actions, removals, "a" * 64, "b" * 64, "2026-11-25T12:00:00Z", warnings=warnings)


def mixed() -> Plan:
    return plan(
        action(
            "share/financial-analyst/v2",
            service="ram",
            operation="CreateResourceShare",
            account=DEV,
            region="us-east-1",
            params={
                "name": "bedrock-gitops-financial-analyst-v2",
                "principals": [STAGING, PROD],
                "allowExternalPrincipals": False,
                "clientToken": "bgo-" + "0" * 40,
                "tags": [{"key": "bedrock-gitops:managed-by", "value": "bedrock-gitops"}],
            },
        ),
        action(COPY, "wait", wave=1, operation="GetModelCopyJob", params={"jobArn": "arn:job/1"}),
        action(
            "prod/us-west-2/financial-analyst/throughput",
            "update",
            wave=2,
            operation="UpdateProvisionedModelThroughput",
            params={"provisionedModelId": "pt-1", "desiredModelId": Ref(COPY, "targetModelArn")},
            before={"version": "v1", "units": 1},
            after={"version": "v2", "units": 1},
        ),
        action(
            "dev/us-east-1/old/deployment",
            "delete",
            operation="DeleteCustomModelDeployment",
            account=DEV,
            region="us-east-1",
            params={"customModelDeploymentIdentifier": "arn:dep/1"},
        ),
    )


def test_empty_plan() -> None:
    assert render_plan(plan(), color=False) == "No changes. AWS matches the manifests."


def test_mixed_plan_text() -> None:
    assert render_plan(mixed(), color=False) == "\n".join(
        [
            "bedrock-gitops will perform the following actions, in this order:",
            "",
            "  # wave 0",
            "  - destroy dev/us-east-1/old/deployment",
            "      bedrock:DeleteCustomModelDeployment in 111122223333 us-east-1",
            "      customModelDeploymentIdentifier = arn:dep/1",
            "      # reason for dev/us-east-1/old/deployment",
            "  + create share/financial-analyst/v2",
            "      ram:CreateResourceShare in 111122223333 us-east-1",
            "      name = bedrock-gitops-financial-analyst-v2",
            "      principals = [444455556666, 777788889999]",
            "      allowExternalPrincipals = false",
            "      # reason for share/financial-analyst/v2",
            "",
            "  # wave 1",
            "  = wait prod/us-west-2/financial-analyst/copy",
            "      bedrock:GetModelCopyJob in 777788889999 us-west-2",
            "      jobArn = arn:job/1",
            "      # reason for prod/us-west-2/financial-analyst/copy",
            "",
            "  # wave 2",
            "  ~ update prod/us-west-2/financial-analyst/throughput",
            "      bedrock:UpdateProvisionedModelThroughput in 777788889999 us-west-2",
            "      provisionedModelId = pt-1",
            f"      desiredModelId = (known after apply: {COPY}.targetModelArn)",
            "      version: v1 -> v2",
            "      # reason for prod/us-west-2/financial-analyst/throughput",
            "",
            "Plan: 1 to add, 1 to change, 1 to destroy, 1 to wait for.",
        ]
    )


def test_summary_omits_waits_when_there_are_none() -> None:
    text = render_plan(plan(action("a/copy"), action("b/copy")), color=False)
    assert text.endswith("\nPlan: 2 to add, 0 to change, 0 to destroy.")


def test_key_params_and_nested_refs() -> None:
    text = render_plan(
        plan(
            action(
                "prod/us-east-1/fa/throughput",
                operation="CreateProvisionedModelThroughput",
                params={
                    "provisionedModelName": "prod-fa",
                    "modelId": Ref(COPY, "targetModelArn"),
                    "modelUnits": 2,
                    "commitmentDuration": "OneMonth",
                    "resourceArns": [Ref(COPY, "targetModelArn"), "arn:x"],
                    "clientRequestToken": "bgo-secretish",
                },
            )
        ),
        color=False,
    )
    assert "      provisionedModelName = prod-fa\n" in text
    assert "      modelUnits = 2\n      commitmentDuration = OneMonth\n" in text
    assert f"      modelId = (known after apply: {COPY}.targetModelArn)\n" in text
    assert f"      resourceArns = [(known after apply: {COPY}.targetModelArn), arn:x]\n" in text
    assert "clientRequestToken" not in text
    assert "Ref(" not in text


def test_update_shows_added_and_removed_attributes() -> None:
    text = render_plan(
        plan(action("x/deployment", "update", before={"version": "v1", "old": 1}, after={"new": True})),
        color=False,
    )
    assert "      new: (none) -> true\n      old: 1 -> (none)\n      version: v1 -> (none)\n" in text


def test_order_is_wave_then_address_whatever_the_input_order() -> None:
    actions = [action(f"{name}/copy", wave=wave) for wave in (0, 1, 2) for name in ("c", "a", "b")]
    expected = render_plan(plan(*actions), color=False)
    shuffler = random.Random(7)
    for _ in range(5):
        shuffler.shuffle(actions)
        assert render_plan(plan(*actions), color=False) == expected
    headers = [line for line in expected.splitlines() if line.startswith(("  +", "  # wave"))]
    assert headers == [
        "  # wave 0",
        "  + create a/copy",
        "  + create b/copy",
        "  + create c/copy",
        "  # wave 1",
        "  + create a/copy",
        "  + create b/copy",
        "  + create c/copy",
        "  # wave 2",
        "  + create a/copy",
        "  + create b/copy",
        "  + create c/copy",
    ]


def test_removals_pending_prune_with_no_changes() -> None:
    removals = (removal("staging/us-east-1/zeta/throughput"), removal("staging/us-east-1/alpha/throughput"))
    assert render_plan(plan(removals=removals), color=False) == "\n".join(
        [
            f"Managed resources no longer declared (not removed: {PRUNING_DISABLED}):",
            "  - staging/us-east-1/alpha/throughput (provisioned-throughput, "
            "arn:aws:bedrock:us-east-1:444455556666:provisioned-model/alpha)",
            "      # 444455556666 us-east-1: no longer declared",
            "  - staging/us-east-1/zeta/throughput (provisioned-throughput, "
            "arn:aws:bedrock:us-east-1:444455556666:provisioned-model/zeta)",
            "      # 444455556666 us-east-1: no longer declared",
            "",
            "Plan: 0 to add, 0 to change, 0 to destroy, 2 undeclared kept.",
            "2 managed resources no longer declared; re-run with --prune to remove them.",
        ]
    )


def test_removals_grouped_by_what_blocks_them() -> None:
    committed = "committed until 2027-01-01T00:00:00Z"
    text = render_plan(
        plan(
            action("a/copy"),
            removals=(
                removal("staging/us-east-1/m1/throughput", committed),
                removal("staging/us-east-1/m2/x"),
            ),
        ),
        color=False,
    )
    assert (
        f"Managed resources no longer declared (not removed: {committed}):\n  - staging/us-east-1/m1/" in text
    )
    assert f"(not removed: {PRUNING_DISABLED}):\n  - staging/us-east-1/m2/x" in text
    assert text.index(committed) < text.index(PRUNING_DISABLED)  # groups in a stable order
    assert text.endswith(
        "Plan: 1 to add, 0 to change, 0 to destroy, 2 undeclared kept.\n"
        "1 managed resource no longer declared; re-run with --prune to remove it."
    )


def test_removals_kept_for_a_commitment_do_not_suggest_prune() -> None:
    text = render_plan(
        plan(removals=(removal("s/r/m/t", "committed until 2027-01-01T00:00:00Z"),)), color=False
    )
    # Still billing, so still drift: counted, never "No changes".
    assert text.endswith("\n\nPlan: 0 to add, 0 to change, 0 to destroy, 1 undeclared kept.")
    assert "--prune" not in text


def test_warnings_come_first() -> None:
    text = render_plan(plan(warnings=("the name x is held by an unmanaged model",)), color=False)
    assert (
        text == "Warning: the name x is held by an unmanaged model\n\nNo changes. AWS matches the manifests."
    )


def test_no_escape_codes_without_color() -> None:
    full = replace(mixed(), removals=(removal("s/r/m/t"),), warnings=("careful",))
    assert ESC not in render_plan(full, color=False)


def test_colors() -> None:
    text = render_plan(replace(mixed(), removals=(removal("s/r/m/t"),)), color=True)
    assert f"  {ESC}[32m+{ESC}[0m create share/financial-analyst/v2" in text
    assert f"  {ESC}[33m~{ESC}[0m update prod/us-west-2/financial-analyst/throughput" in text
    assert f"  {ESC}[31m-{ESC}[0m destroy dev/us-east-1/old/deployment" in text
    assert f"  {ESC}[36m={ESC}[0m wait {COPY}" in text
    assert f"  {ESC}[31m-{ESC}[0m s/r/m/t" in text
    assert (
        f"{ESC}[1mPlan: 1 to add, 1 to change, 1 to destroy, 1 to wait for, 1 undeclared kept.{ESC}[0m"
        in text
    )
    assert render_plan(plan(), color=True) == f"{ESC}[32;1mNo changes.{ESC}[0m AWS matches the manifests."


def test_control_characters_from_aws_are_escaped() -> None:
    text = render_plan(
        plan(
            action(
                "x/copy",
                reason="name held by \x1b[2Jsomeone\nelse",
                params={"targetModelName": "evil\r\x1b]0;title\x07"},
            )
        ),
        color=False,
    )
    assert ESC not in text
    assert "\r" not in text
    assert "      # name held by \\x1b[2Jsomeone\\nelse\n" in text
    assert "      targetModelName = evil\\r\\x1b]0;title\\x07\n" in text


def test_same_plan_same_text() -> None:
    assert render_plan(mixed(), color=True) == render_plan(mixed(), color=True)
