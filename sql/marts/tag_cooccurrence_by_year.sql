-- one row per pair of canonical tags and year of creation, for the pairs found together on at least one cable created that year (tag_a < tag_b)
-- tag_a: the first canonical tag of the pair (tag.canonical_tag), alphabetically before tag_b
-- tag_b: the second canonical tag of the pair
-- year: the year of creation of the cables (cable.created_at)
-- cables: cables created this year carrying both tags; every pair is kept, add a minimum such as `where cables >= 3` before ranking by lift
-- tag_a_cables: cables created this year carrying tag_a
-- tag_b_cables: cables created this year carrying tag_b
-- year_cables: all cables created this year in the warehouse
-- support: cables / year_cables
-- lift: cables * year_cables / (tag_a_cables * tag_b_cables); above 1 means together more often than chance that year
-- jaccard: cables / (tag_a_cables + tag_b_cables - cables)

with

cable_years as (
    select reference_id, year(created_at) as year
    from cable
),

cable_tags as (
    select distinct tag.reference_id, cable_years.year, tag.canonical_tag as tag
    from tag
    inner join cable_years on tag.reference_id = cable_years.reference_id
    where tag.canonical_tag is not null
),

year_totals as (
    select year, count(*) as cables
    from cable_years
    group by year
),

tag_cables as (
    select year, tag, count(*) as cables
    from cable_tags
    group by all
),

pairs as (
    select
        a.tag as tag_a,
        b.tag as tag_b,
        a.year,
        count(*) as cables,
    from cable_tags as a
    inner join cable_tags as b
        on a.reference_id = b.reference_id and a.tag < b.tag
    group by all
),

-- Each pair meets its two tags' counts one join at a time (joined at once, the two counts of a
-- year meet each other first: every pair of the year's tags, 29 million rows at the release's size).
pairs_a as materialized (
    select pairs.*, ta.cables as tag_a_cables
    from pairs
    inner join tag_cables as ta on pairs.year = ta.year and pairs.tag_a = ta.tag
),

final as (
    select
        pairs_a.tag_a,
        pairs_a.tag_b,
        pairs_a.year,
        pairs_a.cables,
        pairs_a.tag_a_cables,
        tb.cables as tag_b_cables,
        year_totals.cables as year_cables,
        pairs_a.cables / year_totals.cables as support,
        pairs_a.cables * year_totals.cables / (pairs_a.tag_a_cables * tb.cables) as lift,
        pairs_a.cables / (pairs_a.tag_a_cables + tb.cables - pairs_a.cables) as jaccard,
    from pairs_a
    inner join tag_cables as tb on pairs_a.year = tb.year and pairs_a.tag_b = tb.tag
    inner join year_totals on pairs_a.year = year_totals.year
)

select * from final
order by tag_a, tag_b, year
