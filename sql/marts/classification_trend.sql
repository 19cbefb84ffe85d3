-- one row per year of creation and origin, plus one row per year with a null origin for all origins together: the share of each classification level and of the NOFORN caveat
-- origin: the sending post (cable.origin); null on the row of all origins together for that year
-- year: the year of creation (cable.created_at)
-- cables: cables created this year (by this origin, or by all origins when origin is null)
-- secret_cables: of those, cables classified SECRET (with or without NOFORN)
-- confidential_cables: of those, cables classified CONFIDENTIAL (with or without NOFORN)
-- unclassified_cables: of those, cables classified UNCLASSIFIED (including UNCLASSIFIED//FOR OFFICIAL USE ONLY)
-- noforn_cables: of those, cables whose classification carries the NOFORN caveat (any level)
-- secret_share: secret_cables / cables
-- confidential_share: confidential_cables / cables
-- unclassified_share: unclassified_cables / cables (the three level shares add up to 1)
-- noforn_share: noforn_cables / cables (a caveat across levels, not a fourth level)

with

cables as (
    select
        origin,
        year(created_at) as year,
        split_part(classification, '//', 1) as level,
        classification like '%NOFORN%' as noforn,
    from cable
),

counts as (
    select
        origin,
        year,
        count(*) as cables,
        count(*) filter (where level = 'SECRET') as secret_cables,
        count(*) filter (where level = 'CONFIDENTIAL') as confidential_cables,
        count(*) filter (where level = 'UNCLASSIFIED') as unclassified_cables,
        count(*) filter (where noforn) as noforn_cables,
    from cables
    group by grouping sets ((origin, year), (year))
),

final as (
    select
        origin,
        year,
        cables,
        secret_cables,
        confidential_cables,
        unclassified_cables,
        noforn_cables,
        secret_cables / cables as secret_share,
        confidential_cables / cables as confidential_share,
        unclassified_cables / cables as unclassified_share,
        noforn_cables / cables as noforn_share,
    from counts
)

select * from final
order by origin nulls first, year
