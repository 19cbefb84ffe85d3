-- one row per cable: its station (from its canonical id) with the country and regions cablemap assigns to it (data/reference/origin_group.csv)
-- reference_id: the cable's reference id as printed (cable.reference_id)
-- canonical_id: the valid id the reference id stands for (cable.canonical_id)
-- origin: the sending post as the page prints it (cable.origin)
-- station: the text between the 2-digit year and the serial of canonical_id (08TRIPOLI220 -> TRIPOLI)
-- country: the station's country, a lower-case cablemap group name such as libya or united_kingdom; null for stations in no country group (STATE, USUNNEWYORK, GENEVA, ...)
-- regions: the regions holding that country, alphabetically (central_asia, east_asia, europe, north_africa, west_africa, west_asia); a country may be in two (turkey: europe and west_asia); empty when none

with

cables as (
    select
        reference_id,
        canonical_id,
        origin,
        regexp_extract(canonical_id, '^[0-9]{2}([A-Z]+)[0-9]+$', 1) as station,
    from cable
),

stations as (
    select
        station,
        min(country) as country,
        list_sort(list(distinct region) filter (where region is not null)) as regions,
    from origin_group
    group by station
),

final as (
    select
        cables.reference_id,
        cables.canonical_id,
        cables.origin,
        nullif(cables.station, '') as station,
        stations.country,
        coalesce(stations.regions, []::varchar[]) as regions,
    from cables
    left join stations on cables.station = stations.station
)

select * from final
order by reference_id
