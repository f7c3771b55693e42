"""The threshold and how well it works: curves from the review history, the day-one proxy, the
audit sample, the trend, and the report and plot `tune`, `status` and the stats view show."""
