-- one row per cable: its main fields with the counts of what hangs off it (tags, recipients, references, paragraphs, news links), the view to browse first
-- reference_id: the reference id as printed (cable.reference_id)
-- canonical_id: the valid id a malformed reference id stands for (cable.canonical_id)
-- created_at: when the cable was written (cable.created_at)
-- released_at: when WikiLeaks released it (cable.released_at)
-- classification: the printed classification, e.g. SECRET//NOFORN
-- level: the classification level: UNCLASSIFIED, CONFIDENTIAL or SECRET
-- noforn: whether the classification carries the NOFORN caveat
-- origin: the sending post as printed (cable.origin)
-- station: the station from canonical_id (08TRIPOLI220 -> TRIPOLI)
-- country: the station's country (origin_country.country); null for stations in no country group
-- subject_title: the subject in title case (cable.subject_title)
-- precedence: the cable's precedence (cable.precedence)
-- signer: who signed it (cable.signer)
-- tags: the distinct canonical tags in page order (tag.canonical_tag)
-- to_count: action addressees (recipient rows of kind to)
-- info_count: information addressees (recipient rows of kind info)
-- recipient_count: to_count + info_count
-- reference_count: items of the REF blocks, one per cited id (reference rows)
-- cited_by_count: cables of this warehouse citing it (citation_edge)
-- paragraph_count: body paragraphs (paragraph rows)
-- media_link_count: news articles linking to it (media_link rows)
-- version_count: distinct versions of it among the landed pages (cable_version rows)
-- is_partial: whether the page holds only part of the cable (cable.is_partial)
-- url: the cable's path in the Cable Viewer (cable.url)

with

first_tags as (
    select reference_id, canonical_tag, position, part
    from tag
    where canonical_tag is not null
    qualify row_number() over (partition by reference_id, canonical_tag order by position, part) = 1
),

tags as (
    select reference_id, list(canonical_tag order by position, part) as tags
    from first_tags
    group by reference_id
),

recipients as (
    select
        reference_id,
        count(*) filter (where kind = 'to') as to_count,
        count(*) filter (where kind = 'info') as info_count,
    from recipient
    group by reference_id
),

refs as (
    select reference_id, count(*) as reference_count
    from reference
    group by reference_id
),

cited_by as (
    select cited_reference_id as reference_id, count(*) as cited_by_count
    from citation_edge
    where cited_reference_id is not null
    group by cited_reference_id
),

paragraphs as (
    select reference_id, count(*) as paragraph_count
    from paragraph
    group by reference_id
),

media as (
    select reference_id, count(*) as media_link_count
    from media_link
    group by reference_id
),

versions as (
    select reference_id, count(*) as version_count
    from cable_version
    group by reference_id
),

final as (
    select
        cable.reference_id,
        cable.canonical_id,
        cable.created_at,
        cable.released_at,
        cable.classification,
        split_part(cable.classification, '//', 1) as level,
        cable.classification like '%NOFORN%' as noforn,
        cable.origin,
        origin_country.station,
        origin_country.country,
        cable.subject_title,
        cable.precedence,
        cable.signer,
        coalesce(tags.tags, []::varchar[]) as tags,
        coalesce(recipients.to_count, 0) as to_count,
        coalesce(recipients.info_count, 0) as info_count,
        coalesce(recipients.to_count + recipients.info_count, 0) as recipient_count,
        coalesce(refs.reference_count, 0) as reference_count,
        coalesce(cited_by.cited_by_count, 0) as cited_by_count,
        coalesce(paragraphs.paragraph_count, 0) as paragraph_count,
        coalesce(media.media_link_count, 0) as media_link_count,
        coalesce(versions.version_count, 0) as version_count,
        cable.is_partial,
        cable.url,
    from cable
    left join origin_country on cable.reference_id = origin_country.reference_id
    left join tags on cable.reference_id = tags.reference_id
    left join recipients on cable.reference_id = recipients.reference_id
    left join refs on cable.reference_id = refs.reference_id
    left join cited_by on cable.reference_id = cited_by.reference_id
    left join paragraphs on cable.reference_id = paragraphs.reference_id
    left join media on cable.reference_id = media.reference_id
    left join versions on cable.reference_id = versions.reference_id
)

select * from final
order by reference_id
