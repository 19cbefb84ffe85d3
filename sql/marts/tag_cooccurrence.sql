-- one row per pair of canonical tags found together on at least one cable (tag_a < tag_b)
-- tag_a: the first canonical tag of the pair (tag.canonical_tag), alphabetically before tag_b
-- tag_b: the second canonical tag of the pair
-- cables: cables carrying both tags; every pair is kept, add `where cables >= 5` (or another minimum) to rank by lift or jaccard without one-off pairs
-- tag_a_cables: cables carrying tag_a
-- tag_b_cables: cables carrying tag_b
-- support: share of all cables in the warehouse that carry both tags (cables / all cables)
-- lift: how much more often the tags travel together than if they were independent (cables * all cables / (tag_a_cables * tag_b_cables)); above 1 means together more often than chance
-- jaccard: cables with both tags over cables with either tag (cables / (tag_a_cables + tag_b_cables - cables))

with

cable_tags as (
    select distinct reference_id, canonical_tag as tag
    from tag
    where canonical_tag is not null
),

tag_cables as (
    select tag, count(*) as cables
    from cable_tags
    group by tag
),

pairs as (
    select
        a.tag as tag_a,
        b.tag as tag_b,
        count(*) as cables,
    from cable_tags as a
    inner join cable_tags as b
        on a.reference_id = b.reference_id and a.tag < b.tag
    group by all
),

total as (
    select count(*) as cables from cable
),

final as (
    select
        pairs.tag_a,
        pairs.tag_b,
        pairs.cables,
        ta.cables as tag_a_cables,
        tb.cables as tag_b_cables,
        pairs.cables / total.cables as support,
        pairs.cables * total.cables / (ta.cables * tb.cables) as lift,
        pairs.cables / (ta.cables + tb.cables - pairs.cables) as jaccard,
    from pairs
    inner join tag_cables as ta on pairs.tag_a = ta.tag
    inner join tag_cables as tb on pairs.tag_b = tb.tag
    cross join total
)

select * from final
order by cables desc, tag_a, tag_b
