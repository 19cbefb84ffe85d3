-- one row per origin, month of creation and classification level, over every month from the first to the last in which the origin has cables in this warehouse or one of its stations has cables in the full release (months without cables filled with zeros)
-- origin: the sending post as the cable page prints it (cable.origin), e.g. Embassy Tripoli
-- month: the first day of the month of creation (cable.created_at; for the release, the year of the id and the month of release_cable)
-- level: the classification level, the printed classification without its caveat: UNCLASSIFIED (also UNCLASSIFIED//FOR OFFICIAL USE ONLY), CONFIDENTIAL or SECRET
-- cables: cables of this origin created this month at this level in this warehouse (0 for a month or level without cables here, also when the release has cables that month: see release_cables)
-- noforn_cables: of those, the cables whose classification carries the NOFORN caveat (CONFIDENTIAL//NOFORN, SECRET//NOFORN)
-- stations: the stations the origin's cables name, read from their canonical ids (Embassy Tripoli -> [TRIPOLI], Embassy Kyiv -> [KIEV, KYIV]); a station several origins name counts for each (BRUSSELS: Embassy Brussels and USEU Brussels), so release_cables do not add up across origins (release_coverage counts each release cable once, per station); empty when no id of the origin has a station
-- release_cables: cables of the full release (release_cable) from those stations created this month, all levels together (the release list has no classification), so the same on the three level rows of a month: sum it over one level only; null when stations is empty
-- release_held_cables: of release_cables, the cables this warehouse holds (by reference or canonical id; a malformed release id such as 7575LIBREVILLE1895 is read through the canonical id of the cable holding it), all levels together like release_cables
-- release_share: release_held_cables / release_cables, the share of the release's cables of this origin and month that this warehouse holds; null when the release has none (or stations is empty)

with

cables as (
    select
        origin,
        date_trunc('month', created_at)::date as month,
        split_part(classification, '//', 1) as level,
        classification like '%NOFORN%' as noforn,
        nullif(regexp_extract(canonical_id, '^[0-9]{2}([A-Z]+)[0-9]+$', 1), '') as station,
    from cable
),

origin_station as (
    select distinct origin, station
    from cables
    where station is not null
),

origin_stations as (
    select origin, list_sort(list(station)) as stations
    from origin_station
    group by origin
),

held_ids as (
    select id, min(canonical_id) as canonical_id
    from (
        select reference_id as id, canonical_id from cable
        union all
        select canonical_id as id, canonical_id from cable
    )
    group by id
),

released as (
    select
        coalesce(held_ids.canonical_id, release_cable.reference_id) as id,
        release_cable.month,
        held_ids.id is not null as held,
    from release_cable
    left join held_ids on release_cable.reference_id = held_ids.id
),

-- The text between the year and the serial; an id of another form gives no station of an origin.
release_ids as (
    select
        rtrim(substr(id, 3), '0123456789') as station,
        try_cast(left(id, 2) as integer) as yy,
        month,
        held,
    from released
),

release_months as (
    select
        origin_station.origin,
        make_date(
            case when release_ids.yy < 50 then 2000 + release_ids.yy else 1900 + release_ids.yy end,
            release_ids.month,
            1
        ) as month,
        count(*) as release_cables,
        count(*) filter (where release_ids.held) as release_held_cables,
    from release_ids
    inner join origin_station on release_ids.station = origin_station.station
    where release_ids.yy is not null
    group by all
),

levels as (
    select unnest(['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET']) as level
),

origin_months as (
    select
        origin,
        unnest(generate_series(min(month), max(month), interval 1 month))::date as month,
    from (
        select origin, month from cables
        union all
        select origin, month from release_months
    )
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
    group by origin, month, level
),

final as (
    select
        grid.origin,
        grid.month,
        grid.level,
        coalesce(counts.cables, 0) as cables,
        coalesce(counts.noforn_cables, 0) as noforn_cables,
        coalesce(origin_stations.stations, []::varchar[]) as stations,
        case when origin_stations.origin is not null then coalesce(release_months.release_cables, 0) end
            as release_cables,
        case when origin_stations.origin is not null then coalesce(release_months.release_held_cables, 0) end
            as release_held_cables,
        release_months.release_held_cables / nullif(release_months.release_cables, 0) as release_share,
    from grid
    left join counts
        on grid.origin = counts.origin
        and grid.month = counts.month
        and grid.level = counts.level
    left join origin_stations on grid.origin = origin_stations.origin
    left join release_months
        on grid.origin = release_months.origin
        and grid.month = release_months.month
)

select * from final
order by origin, month, array_position(['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET'], level)
