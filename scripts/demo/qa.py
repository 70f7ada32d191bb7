#!/usr/bin/python3
"""scripts/demo/qa.py CONTACTS.csv OUTDIR - the demo's QA data and earlier months.

From the demo's October contacts (bench/ingest, seed 7) it writes, seeded so that every run
gives the same files:

  history.csv        July, August and September: every third October contact moved to the
                     same day of each earlier month (days a month lacks are left out), its
                     waits scaled (July 0.85, August 0.95, September 1.15) so the Cover's
                     trend has something to show;
  evaluations.csv    7 evaluations of each of the 24 agents who answered most, on form
                     demo-qa (scripts/demo/qa-form.json), by the three inspectors of
                     scripts/demo/inspectors.json (who differ in pace, lag and severity);
  calibrations.csv   CAL-1 with a reference (qa-lead, who is not on October's list) and the
                     three inspectors, CAL-2 without a reference;
  appeals.csv        three appeals of the lowest evaluations: the first overturned (new
                     score 90), the others upheld.
"""
import csv
import datetime
import os
import random
import sys

FORM = "demo-qa"
ITEMS = [("greet", False), ("verify", True), ("listen", False), ("answer", False),
         ("policy", False), ("recap", False), ("thank", False)]
# inspector: share of the evaluations, lag range in hours, severity (lower pass odds)
INSPECTORS = {"qa-chen": (0.45, (1, 30), 0.0), "qa-garcia": (0.35, (8, 60), 0.02),
              "qa-okafor": (0.20, (24, 140), 0.06)}
MONTH_END = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
HISTORY = {1: 1.15, 2: 0.95, 3: 0.85}  # months back: wait factor


def when(s):
    return datetime.datetime.fromisoformat(s)


def history(rows, out):
    """Every third contact moved k months back, waits scaled; call ids prefixed h<k>-."""
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(rows[0].keys())
        for k, factor in HISTORY.items():
            for i, r in enumerate(rows):
                if i % 3:
                    continue
                offered = when(r["offered_at"])
                try:
                    moved = offered.replace(month=offered.month - k)
                except ValueError:
                    continue  # 31 October has no 31 September
                shift = moved - offered
                end = when(r["ended_at"]) + shift
                row = dict(r, call_id=f"h{k}-{r['call_id']}", offered_at=moved.isoformat())
                if r["answered_at"]:
                    answered = when(r["answered_at"]) + shift
                    wait = (answered - moved).total_seconds()
                    new_answer = moved + datetime.timedelta(seconds=round(wait * factor))
                    row["answered_at"] = new_answer.isoformat()
                    row["ended_at"] = (end + (new_answer - answered)).isoformat()
                else:
                    wait = (end - moved).total_seconds()
                    row["ended_at"] = (moved + datetime.timedelta(seconds=round(wait * factor))).isoformat()
                w.writerow(row.values())


def main(src, outdir):
    rng = random.Random(7)
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    history(rows, os.path.join(outdir, "history.csv"))

    answered = [r for r in rows if r["outcome"] == "answered" and r["agent_id"]
                and r["offered_at"][:10] <= "2026-10-25"]
    by_agent = {}
    for r in answered:
        by_agent.setdefault(r["agent_id"], []).append(r)
    agents = sorted(by_agent, key=lambda a: (-len(by_agent[a]), a))[:24]
    names = list(INSPECTORS)
    evals = []
    for a in agents:
        skill = rng.uniform(0.78, 0.97)
        for r in rng.sample(by_agent[a], 7):
            insp = rng.choices(names, weights=[INSPECTORS[n][0] for n in names])[0]
            lo, hi = INSPECTORS[insp][1]
            at = when(r["ended_at"]) + datetime.timedelta(hours=rng.uniform(lo, hi))
            if at >= MONTH_END:
                at = MONTH_END - datetime.timedelta(hours=rng.uniform(1, 12))
            at = at.replace(microsecond=0)
            odds = skill - INSPECTORS[insp][2]
            results = [(item, "pass" if rng.random() < (0.97 if crit else odds) else "fail")
                       for item, crit in ITEMS]
            evals.append((r, a, insp, at, results))
    evals.sort(key=lambda e: (e[3], e[0]["call_id"]))
    with open(os.path.join(outdir, "evaluations.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["evaluation_id", "call_id", "agent_id", "inspector_id", "form_id",
                    "form_version", "evaluated_at", "item_id", "result"])
        for n, (r, a, insp, at, results) in enumerate(evals, 1):
            for item, result in results:
                w.writerow([f"EV-{n:04d}", r["call_id"], a, insp, FORM, 1, at.isoformat(), item,
                            result])

    # Calibration: two of the evaluated contacts, scored again by everyone.
    cal = [("CAL-1", evals[10][0]["call_id"], "2026-10-14T15:00:00+08:00",
            [("qa-lead", 1, {"policy"}), ("qa-chen", 0, {"policy"}),
             ("qa-garcia", 0, {"policy", "recap"}), ("qa-okafor", 0, {"policy", "answer", "recap"})]),
           ("CAL-2", evals[60][0]["call_id"], "2026-10-28T15:00:00+08:00",
            [("qa-chen", 0, set()), ("qa-garcia", 0, {"thank"}),
             ("qa-okafor", 0, {"thank", "listen"})])]
    with open(os.path.join(outdir, "calibrations.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["session_id", "call_id", "inspector_id", "is_reference", "evaluated_at",
                    "item_id", "result", "form_id", "form_version"])
        for session, call, at, people in cal:
            for insp, ref, fails in people:
                for item, _ in ITEMS:
                    w.writerow([session, call, insp, ref, at, item,
                                "fail" if item in fails else "pass", FORM, 1])

    # Appeals: the three evaluations with the most failed items.
    worst = sorted(range(len(evals)),
                   key=lambda i: (-sum(res == "fail" for _, res in evals[i][4]), i))[:3]
    with open(os.path.join(outdir, "appeals.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["evaluation_id", "appealed_at", "decided_at", "outcome", "new_score"])
        for k, i in enumerate(sorted(worst)):
            at = evals[i][3]
            appealed = at + datetime.timedelta(days=1)
            decided = appealed + datetime.timedelta(days=2)
            w.writerow([f"EV-{i + 1:04d}", appealed.isoformat(), decided.isoformat(),
                        "overturned" if k == 0 else "upheld", 90 if k == 0 else ""])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
