-- one row per origin, year of creation and classification level, from the origin's first to its last year (years without cables filled with zeros)
-- origin: the sending post as the cable page prints it (cable.origin), e.g. Embassy Tripoli
-- year: the year of creation (cable.created_at)
-- level: the classification level: UNCLASSIFIED (also UNCLASSIFIED//FOR OFFICIAL USE ONLY), CONFIDENTIAL or SECRET
-- cables: cables of this origin created this year at this level (0 for a year or level without cables)
-- noforn_cables: of those, the cables whose classification carries the NOFORN caveat

with

months as (
    select * from embassy_volume_by_month
),

final as (
    select
        origin,
        year(month) as year,
        level,
        sum(cables)::bigint as cables,
        sum(noforn_cables)::bigint as noforn_cables,
    from months
    group by origin, year(month), level
)

select * from final
order by origin, year, array_position(['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET'], level)
