-- one row per canonical tag and year of creation in which at least one cable carries it
-- tag: the canonical tag (tag.canonical_tag)
-- tag_kind: what the tag names (geographic, subject, program, organisation, person; null when unknown)
-- year: the year of creation of the cables (cable.created_at)
-- cables: cables created this year carrying the tag
-- year_cables: all cables created this year in the warehouse
-- share: cables / year_cables, the share of the year's cables carrying the tag
-- tag_rank: the tag's rank that year by cables (1 = most frequent; ties share a rank)

with

cable_years as (
    select reference_id, year(created_at) as year
    from cable
),

cable_tags as (
    select distinct
        tag.reference_id,
        cable_years.year,
        tag.canonical_tag as tag,
        tag.tag_kind,
    from tag
    inner join cable_years on tag.reference_id = cable_years.reference_id
    where tag.canonical_tag is not null
),

year_totals as (
    select year, count(*) as cables
    from cable_years
    group by year
),

counts as (
    select
        tag,
        min(tag_kind) as tag_kind,
        year,
        count(distinct reference_id) as cables,
    from cable_tags
    group by tag, year
),

final as (
    select
        counts.tag,
        counts.tag_kind,
        counts.year,
        counts.cables,
        year_totals.cables as year_cables,
        counts.cables / year_totals.cables as share,
        rank() over (partition by counts.year order by counts.cables desc) as tag_rank,
    from counts
    inner join year_totals on counts.year = year_totals.year
)

select * from final
order by year, tag_rank, tag
