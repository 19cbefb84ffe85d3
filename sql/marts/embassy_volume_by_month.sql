-- one row per origin, month of creation and classification level, from the origin's first to its last month (months without cables filled with zeros)
-- origin: the sending post as the cable page prints it (cable.origin), e.g. Embassy Tripoli
-- month: the first day of the month of creation (cable.created_at)
-- level: the classification level, the printed classification without its caveat: UNCLASSIFIED (also UNCLASSIFIED//FOR OFFICIAL USE ONLY), CONFIDENTIAL or SECRET
-- cables: cables of this origin created this month at this level (0 for a month or level without cables)
-- noforn_cables: of those, the cables whose classification carries the NOFORN caveat (CONFIDENTIAL//NOFORN, SECRET//NOFORN)

with

cables as (
    select
        origin,
        date_trunc('month', created_at)::date as month,
        split_part(classification, '//', 1) as level,
        classification like '%NOFORN%' as noforn,
    from cable
),

levels as (
    select unnest(['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET']) as level
),

origin_months as (
    select
        origin,
        unnest(generate_series(min(month), max(month), interval 1 month))::date as month,
    from cables
    group by origin
),

grid as (
    select origin_months.origin, origin_months.month, levels.level
    from origin_months
    cross join levels
),

counts as (
    select
        origin,
        month,
        level,
        count(*) as cables,
        count(*) filter (where noforn) as noforn_cables,
    from cables
    group by all
),

final as (
    select
        grid.origin,
        grid.month,
        grid.level,
        coalesce(counts.cables, 0) as cables,
        coalesce(counts.noforn_cables, 0) as noforn_cables,
    from grid
    left join counts
        on grid.origin = counts.origin
        and grid.month = counts.month
        and grid.level = counts.level
)

select * from final
order by origin, month, array_position(['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET'], level)
