-- one row per origin, year of creation and classification level, over every year from the first to the last in which the origin has cables in this warehouse or one of its stations has cables in the full release (years without cables filled with zeros)
-- origin: the sending post as the cable page prints it (cable.origin), e.g. Embassy Tripoli
-- year: the year of creation (cable.created_at; for the release, the year of the id)
-- level: the classification level: UNCLASSIFIED (also UNCLASSIFIED//FOR OFFICIAL USE ONLY), CONFIDENTIAL or SECRET
-- cables: cables of this origin created this year at this level in this warehouse (0 for a year or level without cables here, also when the release has cables that year: see release_cables)
-- noforn_cables: of those, the cables whose classification carries the NOFORN caveat
-- stations: the stations the origin's cables name, read from their canonical ids, as in embassy_volume_by_month (a station several origins name counts for each, so release_cables do not add up across origins); empty when no id of the origin has a station
-- release_cables: cables of the full release (release_cable) from those stations created this year, all levels together (the release list has no classification), so the same on the three level rows of a year: sum it over one level only; null when stations is empty
-- release_held_cables: of release_cables, the cables this warehouse holds, all levels together like release_cables
-- release_share: release_held_cables / release_cables, the share of the release's cables of this origin and year that this warehouse holds; null when the release has none (or stations is empty)

with

months as (
    select * from embassy_volume_by_month
),

counts as (
    select
        origin,
        year(month) as year,
        level,
        sum(cables)::bigint as cables,
        sum(noforn_cables)::bigint as noforn_cables,
    from months
    group by origin, year(month), level
),

release_years as (
    select
        origin,
        year(month) as year,
        any_value(stations) as stations,
        sum(release_cables)::bigint as release_cables,
        sum(release_held_cables)::bigint as release_held_cables,
    from (select distinct origin, month, stations, release_cables, release_held_cables from months)
    group by origin, year(month)
),

final as (
    select
        counts.origin,
        counts.year,
        counts.level,
        counts.cables,
        counts.noforn_cables,
        release_years.stations,
        release_years.release_cables,
        release_years.release_held_cables,
        release_years.release_held_cables / nullif(release_years.release_cables, 0) as release_share,
    from counts
    inner join release_years
        on counts.origin = release_years.origin
        and counts.year = release_years.year
)

select * from final
order by origin, year, array_position(['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET'], level)
