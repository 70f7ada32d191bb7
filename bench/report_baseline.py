#!/usr/bin/python3
"""bench/report_baseline.py - the baseline of bench/report: the Daily sheet of a
month written the way an analyst would, with pandas and XlsxWriter.

Reads the month's contacts of one tenant with the mariadb client (--batch,
tab-separated) straight into pandas.read_csv, computes per local day offered,
answered, abandoned, service level (the `offered` formula), ASA and AHT as
METRICS.md defines them, and writes them with XlsxWriter.  No other sheet, no
signature, no evidence: a floor for what our report does.

usage: report_baseline.py SOCKET DATABASE TENANT_ID START_US END_US TIMEZONE
                          SL_THRESHOLD_S SHORT_ABANDON_S OUT.xlsx
"""
import subprocess
import sys

import pandas as pd


def main():
    sock, db, tenant, start_us, end_us, tz, T, short, out = sys.argv[1:10]
    T, short = int(T), int(short)
    query = ("SELECT offered_us, wait_s, outcome, talk_s, hold_s, acw_s FROM contacts "
             "WHERE tenant_id = %d AND offered_us >= %d AND offered_us < %d"
             % (int(tenant), int(start_us), int(end_us)))
    client = subprocess.Popen(["mariadb", "--socket=" + sock, "-uroot", "--batch", db, "-e", query],
                              stdout=subprocess.PIPE)
    df = pd.read_csv(client.stdout, sep="\t")
    if client.wait() != 0:
        sys.exit("mariadb failed")

    # The local day of each contact, in the contract's time zone.
    df["day"] = (pd.to_datetime(df["offered_us"], unit="us", utc=True)
                 .dt.tz_convert(tz).dt.tz_localize(None).dt.normalize())
    answered = df["outcome"] == 1
    abandoned = (df["outcome"] == 2) & (df["wait_s"] >= short)
    overflow = df["outcome"] == 3
    df["answered"] = answered.astype(int)
    df["abandoned"] = abandoned.astype(int)
    df["offered"] = (answered | abandoned | overflow).astype(int)
    df["within"] = (answered & (df["wait_s"] <= T)).astype(int)
    df["answered_wait"] = df["wait_s"].where(answered, 0)
    df["handle"] = (df["talk_s"] + df["hold_s"] + df["acw_s"]).where(answered, 0)

    g = df.groupby("day")[["offered", "answered", "abandoned", "within", "answered_wait",
                           "handle"]].sum()
    days = pd.date_range(df["day"].min(), df["day"].max(), freq="D")
    g = g.reindex(days, fill_value=0)
    daily = pd.DataFrame({
        "Day": g.index,
        "Offered": g["offered"],
        "Answered": g["answered"],
        "Abandoned": g["abandoned"],
        "Service level": g["within"] / g["offered"].where(g["offered"] > 0),
        "ASA (s)": g["answered_wait"] / g["answered"].where(g["answered"] > 0),
        "AHT (s)": g["handle"] / g["answered"].where(g["answered"] > 0),
    })

    with pd.ExcelWriter(out, engine="xlsxwriter", datetime_format="yyyy-mm-dd") as xw:
        daily.to_excel(xw, sheet_name="Daily", index=False)
        book, sheet = xw.book, xw.sheets["Daily"]
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 3, 11, book.add_format({"num_format": "#,##0"}))
        sheet.set_column(4, 4, 13, book.add_format({"num_format": "0.0%"}))
        sheet.set_column(5, 6, 10, book.add_format({"num_format": "0.0"}))
        sheet.freeze_panes(1, 1)


if __name__ == "__main__":
    main()
