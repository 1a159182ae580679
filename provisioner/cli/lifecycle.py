"""The commands that read or change the lab on this machine (or, with -i, on every node):
plan, apply, destroy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from .common import (EXIT_CHANGES, EXIT_ERROR, EXIT_OK, count, echo_json, fail, json_option, lab_options, load_valid, located,
                     no_changes_line, no_wait_option, node_roots, pick_node, print_plan, progress, quiet_option,
                     recorded_source, require_root, run_options, valid_topology)
from .complete import complete_labs
from .formats import emit, format_option, structured
from .remote import fan_out, report_fanout
from .saved import apply_saved, out_option, refuse_out, save_plan, saved_plan_text
from .targeting import one_node_target, pick_target, target_option
from .stages import applied_stage, record_stage, reset_lab, stage_option, stage_shown

if TYPE_CHECKING:
    from ..core.plan import Plan
    from ..engine import NotConverged
    from ..fanout import FanoutResult
    from ..roots import Roots


def _exit_after_run(res: "FanoutResult") -> NoReturn:
    raise SystemExit(EXIT_ERROR if res.failed else EXIT_OK)


@click.command()
@lab_options()
@click.option("--adopt", is_flag=True, help="Plan to take over existing objects the file names (not the lab's: unmanaged or in conflict).")
@click.option("--destroy", "destroying", is_flag=True, help="Plan the destroy of the lab instead.")
@stage_option("Plan the way to this lesson stage of FILE (`stages:`), from wherever the lab is now.")
@format_option("Output format: json or yaml (the plan document: schemas/plan.schema.json), wide (the plan).")
@quiet_option("Print only the summary line, and no warnings about the file.")
@target_option
@out_option
def plan(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None, inventory: Path | None,
         fail_fast: bool, skip_host_key_check: bool, adopt: bool, destroying: bool, stage: str | None, fmt: str | None,
         quiet: bool, target_spec: str | None, out: Path | None) -> None:
    """Show what apply would change; never changes the network.

    \b
    Exit status: 0 no changes, 2 changes present (drift), 1 error or conflict.
    Examples:
      topo plan lab.yaml --json > plan.json; echo $?      # CI drift check
      topo plan lab.yaml -i inventory.yml                  # every node, through Ansible (check mode)
      topo plan lab.yaml --destroy                         # what destroy would remove
      topo plan lab.yaml -out lab.plan && topo apply lab.plan   # apply exactly that plan
    """
    from ..render.plan import plan_to_json

    as_json = structured(fmt)
    one_node_target(target_spec, inventory)
    refuse_out(out, inventory, destroying)
    if inventory is not None and stage is not None:
        raise click.UsageError("--stage does not go with -i yet: apply the stage on each node")
    if out is not None and stage is not None:
        raise click.UsageError("-out does not go with --stage yet: save the plan of the stage's lab without --stage")
    if inventory is not None:
        res = fan_out(file, var_pairs, vars_files, inventory, state="absent" if destroying else "present", check=True,
                      adopt=adopt, fail_fast=fail_fast, skip_host_key_check=skip_host_key_check, quiet=quiet)
        report_fanout(res, as_json, quiet, "plan")
        if res.failed or any(p.conflicts for p in res.plans):
            raise SystemExit(EXIT_ERROR)
        raise SystemExit(EXIT_CHANGES if any(not p.empty for p in res.plans) else EXIT_OK)
    from ..engine import plan_destroy_node, plan_node

    from ..state import load_record

    roots = node_roots()
    checked = load_valid(file, var_pairs, vars_files, quiet, stage)
    topo = checked.topology
    assert topo is not None
    require_root()
    node_name = pick_node(topo, node)
    target = pick_target(topo, node_name, target_spec, quiet=quiet)
    before = load_record(roots, topo.name) if out is not None else None
    result = (plan_destroy_node(roots, topo.name, node_name, target) if destroying
              else located(plan_node(roots, topo, node_name, adopt, target), checked))
    if out is not None:
        save_plan(out, checked, result, before, file, adopt, target_spec)
    if as_json:
        emit(plan_to_json([result]), fmt or "json")
    elif result.empty and destroying:
        click.echo(nothing_to_destroy(topo.name, applied=load_record(roots, topo.name) is not None))
    elif result.empty:
        _say_no_changes(result, stage_shown(file, stage), quiet)
    else:
        print_plan(result, quiet)
    if result.conflicts:
        raise SystemExit(EXIT_ERROR)
    raise SystemExit(EXIT_OK if result.empty else EXIT_CHANGES)


def _say_no_changes(plan: "Plan", file: Path | str, quiet: bool) -> None:
    """The one way plan and apply say that the machine already matches the file."""
    from ..render.plan import unmanaged_line

    click.echo(no_changes_line(file))
    if (note := unmanaged_line(plan)) and not quiet:
        click.echo(note)


def nothing_to_destroy(lab: str, applied: bool) -> str:
    """What plan --destroy and destroy say when there is nothing of the lab here."""
    if not applied:
        return f"Nothing to destroy: lab {lab} is not applied on this node (no record of it, no objects marked with it)."
    return f"Nothing to destroy: lab {lab} has no objects on this machine."


def _still_to_do(exc: "NotConverged") -> list[str]:
    from ..render.plan import action_line

    return [f"  {action_line(a)}" for a in exc.remaining.actions]


def _failure_lines(cause: Exception) -> list[str]:
    """What failed: the action the kernel refused, or the verification and what it found left."""
    from ..engine import NotConverged

    if isinstance(cause, NotConverged):
        return ["error: verification failed; still to do after apply:", *_still_to_do(cause)]
    return [f"error: {cause}"]


def _rolled_back_lines(exc: Exception, lab: str, file: Path) -> list[str]:
    """What the machine is after a rollback, truthfully: where the (verified) rollback took the
    lab, or how far the failed one got and what is left."""
    from ..engine import NotConverged, RollbackFailed, RolledBack, RollbackTarget
    from ..render.plan import action_line

    if isinstance(exc, RolledBack):
        done = count(len(exc.rollback.done), "action")
        return {
            RollbackTarget.REMOVED: [f"rolled back: lab {lab} is removed, as it was before this apply created it "
                                     f"({done}; verified: nothing of it is left)"],
            RollbackTarget.CHECKPOINT: [f"rolled back: lab {lab} is back at its last verified state, the last apply "
                                        f"that verified, not {file} ({done}; verified)"],
            RollbackTarget.SAME_FILE: [f"not rolled back: lab {lab}'s last verified state is {file} itself, so the way "
                                       f"back applied it again ({done}); verified: the machine now matches {file}"],
        }[exc.target]
    assert isinstance(exc, RollbackFailed)
    back = exc.rollback
    done = "" if back is None else f" ({len(back.done)} of its {count(len(back.plan.actions), 'action')} done)"
    lines = [f"error: could not roll back{done}: {exc.error}",
             f"lab {lab} is partly changed: neither at its last verified state nor as {file} says"]
    if isinstance(exc.error, NotConverged):
        lines += ["still to do to reach the last verified state:", *_still_to_do(exc.error)]
    elif back is not None:
        finished = {id(a) for a in back.done}
        lines += ["not done of the way back:", *(f"  {action_line(a)}" for a in back.plan.actions if id(a) not in finished)]
    return lines + ["  hint: fix the cause and apply again (this file, or the last one that verified), or destroy the lab"]


def _apply_failed(exc: Exception, lab: str, file: Path, as_json: bool) -> NoReturn:
    """Say how an apply failed (and what the rollback did), exit 1; re-raise what is not an apply's failure."""
    from ..checkpoint import NoCheckpoint
    from ..engine import ConflictError, NotConverged, RollbackFailed, RolledBack
    from ..render.plan import plan_to_json

    if isinstance(exc, NoCheckpoint):
        fail(f"error: {exc}; nothing was changed",
             "  hint: apply once without --rollback (or destroy the lab) to make a checkpoint")
    if isinstance(exc, (RolledBack, RollbackFailed)):
        fail(*_failure_lines(exc.cause), *_rolled_back_lines(exc, lab, file))
    if isinstance(exc, ConflictError):
        if as_json:
            echo_json(plan_to_json([exc.plan]))
        fail(*(f"error: {c.message}\n  hint: {c.hint}" for c in exc.plan.conflicts))
    if isinstance(exc, NotConverged):
        fail(*_failure_lines(exc))
    raise exc


@click.command()
@lab_options()
@click.option("--adopt", is_flag=True, help="Take over existing objects the file names (a user's bridge, another tool's namespace).")
@json_option("Print the plan that was applied as JSON.")
@quiet_option("Print only the summary, and no warnings about the file.")
@no_wait_option
@click.option("--rollback", is_flag=True,
              help="If an action or the verification fails, return the lab to its last verified state "
                   "(a lab this run created is removed).")
@target_option
@stage_option("Bring the lab to this lesson stage of FILE (`stages:`), from wherever it is now.")
@click.option("--reset", is_flag=True, help="Destroy the lab first, then apply (the stage) from nothing.")
def apply(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None, inventory: Path | None,
          fail_fast: bool, skip_host_key_check: bool, adopt: bool, as_json: bool, quiet: bool, no_wait: bool,
          rollback: bool, target_spec: str | None, stage: str | None, reset: bool) -> None:
    """Make the machine match FILE: run exactly the plan, then verify nothing is left to do.
    FILE may be a plan saved by `topo plan FILE -out PLAN`: then exactly that plan runs, or
    nothing (exit 1) if the machine or the file changed since.

    \b
    Examples:
      topo apply topologies/05-flannel-cni0.yaml && topo plan topologies/05-flannel-cni0.yaml
      topo apply lab.yaml --rollback     # all or nothing: on failure, back to the last verified state
      topo apply lab.yaml -i inventory.yml   # every node of a multi-node lab, through Ansible
      topo apply workshop.yaml --stage veth  # a lesson stage (topo stages FILE lists them)
    """
    one_node_target(target_spec, inventory)
    if (saved := saved_plan_text(file)) is not None:
        apply_saved(file, saved, {"-i": inventory, "--var": var_pairs, "--vars-file": vars_files, "--adopt": adopt,
                                  "--target": target_spec, "--stage": stage, "--reset": reset}, node, as_json, quiet,
                    no_wait, rollback)
        return
    if inventory is not None and (stage is not None or reset):
        raise click.UsageError("--stage and --reset do not go with -i yet")
    if inventory is not None:
        res = fan_out(file, var_pairs, vars_files, inventory, state="present", check=False, adopt=adopt, fail_fast=fail_fast,
                      skip_host_key_check=skip_host_key_check, quiet=quiet, verb="apply")
        report_fanout(res, as_json, quiet, "apply")
        _exit_after_run(res)
    from dataclasses import replace

    from ..checkpoint import NoCheckpoint
    from ..engine import ConflictError, NotConverged, RollbackFailed, RolledBack, apply_node
    from ..render.plan import plan_to_json

    roots = node_roots()
    result_doc = load_valid(file, var_pairs, vars_files, quiet, stage)
    topo = result_doc.topology
    assert topo is not None and result_doc.document is not None
    require_root()
    node_name = pick_node(topo, node)
    target = pick_target(topo, node_name, target_spec, quiet=quiet, rollback=rollback)
    checkpoint = None if target is not None else result_doc.document.source.rendered  # a partial apply is no checkpoint
    options = replace(run_options(no_wait), rollback=rollback, checkpoint=checkpoint, target=target)
    if reset:
        if target is not None:
            raise click.UsageError("--reset rebuilds the whole lab: not with --target")
        reset_lab(roots, topo.name, node_name, options, quiet or as_json)
    try:
        with progress(quiet, as_json) as shown:
            result = apply_node(roots, topo, node_name, adopt=adopt, source=recorded_source(file), on_plan=shown.on_plan,
                                progress=shown.advance, options=replace(options, on_rollback=shown.on_rollback))
    except ConflictError as exc:
        _apply_failed(ConflictError(located(exc.plan, result_doc)), topo.name, file, as_json)
    except (NoCheckpoint, RolledBack, RollbackFailed, NotConverged) as exc:
        _apply_failed(exc, topo.name, file, as_json)
    record_stage(roots, topo.name, applied_stage(result_doc, stage))
    if as_json:
        echo_json(plan_to_json([result.plan]))
    elif result.plan.empty:
        _say_no_changes(result.plan, stage_shown(file, stage), quiet)
    else:
        what = "the machine" if target is None else target.describe()
        click.echo(f"Apply complete: {count(len(result.done), 'action')}; verified: {what} matches "
                   f"{stage_shown(file, stage)}.")


def _recorded_node(roots: "Roots", lab: str, node: str | None, from_kernel: bool) -> str:
    """The node to destroy lab LAB on, given by name only: --node, else the record's, else the
    implicit one; say what is not known without the record."""
    from ..model import IMPLICIT_NODE
    from ..state import load_record

    rec = None if from_kernel else load_record(roots, lab)
    if from_kernel:
        click.echo(f"note: not reading lab {lab}'s record: removing the links and namespaces marked topo:{lab}; "
                   "root routes, the original values of root sysctls and of user bridges' MAC and MTU are known "
                   "only to the record and are not restored", err=True)
    elif rec is None:
        from ..state import list_records

        known = ", ".join(list_records(roots)) or "none"
        click.echo(f"note: no lab named {lab} is recorded on this machine (recorded labs: {known}); "
                   "removing only links marked with it", err=True)
    return node or (rec.node if rec and rec.node else IMPLICIT_NODE)


@click.command()
@lab_options(file_required=False)
@click.option("--lab", "lab", default=None, shell_complete=complete_labs,
              help="Destroy the lab of this name (when its file is gone).")
@click.option("--from-kernel", is_flag=True,
              help="With --lab: do not read the lab's record (corrupt or lost); remove the links marked topo:LAB and "
                   "the namespaces holding only such links, then set the record aside.")
@json_option("Print the plan that was carried out as JSON.")
@quiet_option("Print only the summary, and no warnings about the file.")
@no_wait_option
@target_option
def destroy(file: Path | None, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None,
            inventory: Path | None, fail_fast: bool, skip_host_key_check: bool, lab: str | None, from_kernel: bool,
            as_json: bool, quiet: bool,
            no_wait: bool, target_spec: str | None) -> None:
    """Remove everything the lab created, and nothing else.

    \b
    Examples:  topo destroy lab.yaml
               topo destroy --lab pod-network
               topo destroy lab.yaml -i inventory.yml
    """
    from dataclasses import replace

    from ..engine import NotConverged, destroy_node
    from ..render.plan import plan_to_json
    from ..state import check_lab_name, load_record

    if (file is None) == (lab is None):
        raise click.UsageError("give a FILE or --lab NAME (one of them)")
    if from_kernel and lab is None:
        raise click.UsageError("--from-kernel goes with --lab NAME")
    if target_spec is not None and file is None:
        raise click.UsageError("--target needs the FILE (it names the target's objects), not --lab")
    one_node_target(target_spec, inventory)
    if inventory is not None:
        if file is None:
            raise click.UsageError("with -i, give the FILE (it names the lab's nodes)")
        res = fan_out(file, var_pairs, vars_files, inventory, state="absent", check=False, fail_fast=fail_fast,
                      skip_host_key_check=skip_host_key_check, quiet=quiet, verb="destroy")
        report_fanout(res, as_json, quiet, "destroy")
        _exit_after_run(res)
    roots = node_roots()
    if file is not None:
        topo = valid_topology(file, var_pairs, vars_files, quiet)
        lab_name, node_name = topo.name, pick_node(topo, node)
        target = pick_target(topo, node_name, target_spec, quiet=quiet)
    else:
        assert lab is not None
        lab_name = check_lab_name(lab)
        node_name = _recorded_node(roots, lab, node, from_kernel)
        target = None
    require_root()
    applied = from_kernel or load_record(roots, lab_name) is not None
    try:
        with progress(quiet, as_json) as shown:
            result = destroy_node(roots, lab_name, node_name, on_plan=shown.on_plan, progress=shown.advance,
                                  options=replace(run_options(no_wait), target=target), from_kernel=from_kernel)
    except NotConverged as exc:
        fail(f"error: {exc}")
    if as_json:
        echo_json(plan_to_json([result.plan]))
    elif result.plan.empty:
        click.echo(nothing_to_destroy(lab_name, applied))
    else:
        what = f"{target.describe()} of lab {lab_name}" if target is not None else f"lab {lab_name}"
        click.echo(f"Destroy complete: {what} removed ({count(len(result.done), 'action')}).")
    for note in result.notes:
        click.echo(f"note: {note}", err=as_json)
