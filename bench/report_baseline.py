#!/usr/bin/python3
"""bench/report_baseline.py - the baseline of bench/report: the Daily, Intervals,
Queues and Agents sheets of a month written the way an analyst would, with
pandas and XlsxWriter.

Reads the tenant's contacts of the month and of the FCR window after it with
the mariadb client (--batch, tab-separated) straight into pandas.read_csv and
computes, as METRICS.md defines them and the internal workbook shows them:
  Daily      per local day: offered, answered, abandoned, the service level's
             numerator and denominator and ratio, ASA, AHT, FCR (repeat within
             the window, by customer) and CSAT;
  Intervals  per interval label: the service level on each weekday (summed
             numerator over summed denominator) and interval compliance
             (business-hour intervals with contacts that met the target);
  Queues     per queue: the counts, service level, ASA, abandon rate, AHT,
             transfer rate, p90 wait (nearest rank) and longest wait;
  Agents     per agent: the same plus overflow, answered within, average
             abandon wait, FCR and CSAT (no QA columns: scoring evaluations
             against their scorecards is a program of its own).
No other sheet, no Evidence, no signature.  Only the `offered` service-level
formula and the repeat FCR method (the bench contract's).

usage: report_baseline.py SOCKET DATABASE TENANT_ID START_US END_US CONTRACT.json OUT.xlsx
"""
import json
import subprocess
import sys

import numpy as np
import pandas as pd

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def read_contacts(sock, db, tenant, start_us, until_us):
    query = ("SELECT offered_us, wait_s, outcome, talk_s, hold_s, acw_s, transferred, resolved, "
             "csat, queue, agent_id, customer_id FROM contacts WHERE tenant_id = %d AND "
             "offered_us >= %d AND offered_us < %d" % (tenant, start_us, until_us))
    client = subprocess.Popen(["mariadb", "--socket=" + sock, "-uroot", "--batch", db, "-e", query],
                              stdout=subprocess.PIPE)
    df = pd.read_csv(client.stdout, sep="\t", keep_default_na=False,
                     dtype={"queue": str, "agent_id": str, "customer_id": str})
    if client.wait() != 0:
        sys.exit("mariadb failed")
    return df


def p90(waits):
    """Nearest rank: the ceil(0.9 n)-th smallest."""
    v = np.sort(waits.to_numpy())
    return float(v[(9 * len(v) + 9) // 10 - 1]) if len(v) else np.nan


def group_metrics(df, key, c):
    """The queue metrics of each group of df by key, as a DataFrame."""
    g = df.groupby(key)
    out = pd.DataFrame({
        "offered": g["offered"].sum(), "answered": g["answered"].sum(),
        "abandoned": g["abandoned"].sum(), "overflow": g["overflow"].sum(),
        "answered_within": g["within"].sum(),
    })
    den = out["offered"].where(out["offered"] > 0)
    ans = out["answered"].where(out["answered"] > 0)
    out["sl_num"], out["sl_den"] = out["answered_within"], out["offered"]
    out["service_level"] = out["answered_within"] / den
    out["asa_s"] = g["answered_wait"].sum() / ans
    out["aht_s"] = g["handle"].sum() / ans
    out["abandon_rate"] = out["abandoned"] / den
    out["avg_abandon_s"] = g["abandoned_wait"].sum() / out["abandoned"].where(out["abandoned"] > 0)
    out["transfer_rate"] = g["transferred_a"].sum() / ans
    out["wait_p90_s"] = df[df["answered"] == 1].groupby(key)["wait_s"].apply(p90)
    out["max_wait_s"] = df[df["counts_wait"]].groupby(key)["wait_s"].max().astype(float)
    out["fcr_base"] = g["fcr_base"].sum()
    out["fcr_resolved"] = g["fcr_resolved"].sum()
    out["fcr"] = out["fcr_resolved"] / out["fcr_base"].where(out["fcr_base"] > 0)
    out["csat_n"] = g["survey"].sum()
    out["csat_good"] = g["good"].sum()
    out["csat"] = out["csat_good"] / out["csat_n"].where(out["csat_n"] > 0)
    out["csat_mean"] = g["csat_score"].sum() / out["csat_n"].where(out["csat_n"] > 0)
    return out


def main():
    sock, db, tenant, start_us, end_us, contract_path, out = sys.argv[1:8]
    tenant, start_us, end_us = int(tenant), int(start_us), int(end_us)
    with open(contract_path) as f:
        c = json.load(f)
    T, short, window_h = c["sl_threshold_s"], c["short_abandon_s"], c["fcr_window_h"]
    if c.get("sl_formula", "offered") != "offered" or c.get("fcr_method", "repeat") != "repeat":
        sys.exit("the baseline does the offered formula and repeat FCR only")
    all_rows = read_contacts(sock, db, tenant, start_us, end_us + window_h * 3600 * 1000000)

    # FCR by repeat: the customer's first later instant, within the window.
    cust = all_rows.loc[all_rows["customer_id"] != "", ["customer_id", "offered_us"]]
    u = cust.drop_duplicates().sort_values(["customer_id", "offered_us"])
    u["next_us"] = u.groupby("customer_id")["offered_us"].shift(-1)
    df = all_rows[all_rows["offered_us"] < end_us].merge(u, on=["customer_id", "offered_us"],
                                                          how="left")

    local = (pd.to_datetime(df["offered_us"], unit="us", utc=True).dt.tz_convert(c["timezone"])
             .dt.tz_localize(None))
    df["day"] = local.dt.normalize()
    iv = local.dt.floor("%dmin" % c.get("interval_min", 30))
    df["label"] = iv.dt.strftime("%H:%M")
    df["wday"] = iv.dt.dayofweek  # Monday = 0
    df["iv_key"] = iv.astype("int64") - (local.astype("int64") - df["offered_us"] * 1000)
    answered = df["outcome"] == 1
    short_ab = (df["outcome"] == 2) & (df["wait_s"] < short)
    abandoned = (df["outcome"] == 2) & ~short_ab
    overflow = df["outcome"] == 3
    df["answered"] = answered.astype(int)
    df["abandoned"] = abandoned.astype(int)
    df["overflow"] = overflow.astype(int)
    df["offered"] = (answered | abandoned | overflow).astype(int)
    df["within"] = (answered & (df["wait_s"] <= T)).astype(int)
    df["answered_wait"] = df["wait_s"].where(answered, 0)
    df["abandoned_wait"] = df["wait_s"].where(abandoned, 0)
    df["handle"] = (df["talk_s"] + df["hold_s"] + df["acw_s"]).where(answered, 0)
    df["transferred_a"] = (answered & (df["transferred"] == 1)).astype(int)
    df["counts_wait"] = ~short_ab
    base = answered & (df["customer_id"] != "")
    repeat = (df["next_us"] - df["offered_us"]) <= window_h * 3600 * 1000000
    df["fcr_base"] = base.astype(int)
    df["fcr_resolved"] = (base & ~repeat).astype(int)
    df["survey"] = (df["csat"] > 0).astype(int)
    df["good"] = (df["csat"] >= c.get("csat_good_min", 4)).astype(int)
    df["csat_score"] = df["csat"].where(df["csat"] > 0, 0)

    daily = group_metrics(df, "day", c)
    days = pd.date_range(df["day"].min(), df["day"].max(), freq="D")
    daily = daily.reindex(days)
    daily.index.name = "Day"

    # Intervals: SL by label x weekday; compliance over business-hour intervals.
    target = c.get("sl_target")
    per_iv = df.groupby(["iv_key", "label", "wday"])[["within", "offered"]].sum().reset_index()
    hours = c.get("business_hours")

    def business(row):
        if not hours:
            return True
        span = hours.get(DAYS[row["wday"]])
        return bool(span) and span[0] <= row["label"] < span[1]

    per_iv["business"] = per_iv.apply(business, axis=1)
    per_iv["sl"] = per_iv["within"] / per_iv["offered"].where(per_iv["offered"] > 0)
    judged = per_iv[per_iv["business"] & (per_iv["offered"] > 0)]
    heat = per_iv.groupby(["label", "wday"])[["within", "offered"]].sum()
    heat = (heat["within"] / heat["offered"].where(heat["offered"] > 0)).unstack("wday")
    heat.columns = [DAYS[d].capitalize() for d in heat.columns]
    intervals = heat.reindex(columns=[d.capitalize() for d in DAYS])
    if target is not None:
        met = judged.assign(met=judged["sl"] >= target).groupby("label")["met"]
        intervals["Intervals met"] = met.sum().reindex(intervals.index).fillna(0)
        intervals["Intervals"] = met.count().reindex(intervals.index).fillna(0)
        intervals["Interval compliance"] = (intervals["Intervals met"]
                                            / intervals["Intervals"].where(intervals["Intervals"] > 0))
    intervals.index.name = "Interval"

    queues = group_metrics(df, "queue", c)
    queues.index.name = "Queue"
    agents = group_metrics(df, "agent_id", c)
    agents.index = agents.index.where(agents.index != "", "(no agent)")
    agents.index.name = "Agent"

    names = {"offered": "Offered", "answered": "Answered", "abandoned": "Abandoned",
             "overflow": "Overflow", "answered_within": "Answered within threshold",
             "sl_num": "SL numerator", "sl_den": "SL denominator",
             "service_level": "Service level", "asa_s": "ASA (s)", "aht_s": "AHT (s)",
             "abandon_rate": "Abandon rate", "avg_abandon_s": "Avg abandon wait (s)",
             "transfer_rate": "Transfer rate", "wait_p90_s": "Wait p90 (s)",
             "max_wait_s": "Longest wait (s)", "fcr_resolved": "FCR resolved",
             "fcr_base": "FCR base", "fcr": "FCR", "csat_good": "Good surveys",
             "csat_n": "Surveys", "csat": "CSAT", "csat_mean": "CSAT mean"}
    sheets = {
        "Daily": daily[["offered", "answered", "abandoned", "sl_num", "sl_den", "service_level",
                        "asa_s", "aht_s", "fcr_resolved", "fcr_base", "fcr", "csat_good",
                        "csat_n", "csat"]],
        "Intervals": intervals,
        "Queues": queues[["offered", "answered", "abandoned", "sl_num", "sl_den", "service_level",
                          "asa_s", "abandon_rate", "aht_s", "transfer_rate", "wait_p90_s",
                          "max_wait_s"]],
        "Agents": agents[["offered", "answered", "abandoned", "overflow", "answered_within",
                          "sl_num", "sl_den", "service_level", "asa_s", "aht_s", "abandon_rate",
                          "avg_abandon_s", "transfer_rate", "wait_p90_s", "max_wait_s",
                          "fcr_resolved", "fcr_base", "fcr", "csat_good", "csat_n", "csat",
                          "csat_mean"]],
    }
    with pd.ExcelWriter(out, engine="xlsxwriter", datetime_format="yyyy-mm-dd") as xw:
        pct = xw.book.add_format({"num_format": "0.0%"})
        for name, frame in sheets.items():
            frame.rename(columns=names).to_excel(xw, sheet_name=name)
            xw.sheets[name].set_column(0, 0, 14)
            xw.sheets[name].set_column(1, frame.shape[1], 12, pct if name == "Intervals" else None)
            xw.sheets[name].freeze_panes(1, 1)


if __name__ == "__main__":
    main()
