-- one row per station and year of creation: cables of the full release against cables in this warehouse (both years and stations read from the reference ids)
-- station: the text between the 2-digit year and the serial of the id (08TRIPOLI220 -> TRIPOLI), from the cable's canonical id when it is in the warehouse; null for the few release ids not of that form (06SECTION01OF02HARARE628)
-- country: the station's country from origin_group (data/reference/origin_group.csv); null for stations in no country group
-- year: the year of creation from the id's two leading digits (00-49: 20xx, 50-99: 19xx)
-- release_cables: cables of the full release (release_cable, 251,287 ids)
-- warehouse_cables: cables in this warehouse
-- warehouse_release_cables: cables in this warehouse whose reference id is in the release
-- coverage: warehouse_release_cables / release_cables, the share of the release's cables held here (null when the release has none)

with

released as (
    select reference_id from release_cable
),

held as (
    select reference_id, canonical_id from cable
),

ids as (
    select
        coalesce(held.reference_id, released.reference_id) as reference_id,
        coalesce(held.canonical_id, released.reference_id) as canonical_id,
        released.reference_id is not null as in_release,
        held.reference_id is not null as in_warehouse,
    from released
    full outer join held on released.reference_id = held.reference_id
),

stamped as (
    select
        nullif(regexp_extract(canonical_id, '^[0-9]{2}([A-Z]+)[0-9]+$', 1), '') as station,
        left(canonical_id, 2)::int as yy,
        in_release,
        in_warehouse,
    from ids
),

counts as (
    select
        station,
        case when yy < 50 then 2000 + yy else 1900 + yy end as year,
        count(*) filter (where in_release) as release_cables,
        count(*) filter (where in_warehouse) as warehouse_cables,
        count(*) filter (where in_release and in_warehouse) as warehouse_release_cables,
    from stamped
    group by all
),

countries as (
    select station, min(country) as country
    from origin_group
    group by station
),

final as (
    select
        counts.station,
        countries.country,
        counts.year,
        counts.release_cables,
        counts.warehouse_cables,
        counts.warehouse_release_cables,
        counts.warehouse_release_cables / nullif(counts.release_cables, 0) as coverage,
    from counts
    left join countries on counts.station = countries.station
)

select * from final
order by station nulls last, year
