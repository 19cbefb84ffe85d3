-- one row per tag of the shipped TAGS vocabulary (data/reference: tag_meanings, subject_tags, organisation_tags, tag_kinds) or carried by a cable of this warehouse: its kind and, where known, what it stands for
-- tag: the canonical tag (tag.canonical_tag), e.g. SP, PGOV, KDEM, NATO, CLINTON, HILLARY
-- kind: geographic (a country code such as SP, or a place), subject, program, organisation or person; from tag_meaning, else tag_kinds, else the kind the cables' tag rows give it (tag.tag_kind), else the list it is in; null when none says
-- meaning: what the tag stands for (SP: Spain, PGOV: Internal governmental affairs, MOPS: Military operations), from data/reference/tag_meanings.csv (after the State Department's TAGS manual); null where not known
-- source: where the meaning comes from (tags-manual); null without a meaning
-- note: how the meaning was checked, when it was (a country code: how many cables of the corpus carrying it name the country); null otherwise
-- vocabulary: the shipped lists that hold the tag (tag_meanings, tag_kinds, subject_tags, organisation_tags), alphabetically; empty for a tag only the cables carry
-- cables: cables of this warehouse that carry the tag (0 when none)

with

listed as (
    select tag, 'tag_meanings' as list from tag_meaning
    union all
    select tag, 'tag_kinds' as list from project_tag_kind
    union all
    select tag, 'subject_tags' as list from subject_tag
    union all
    select tag, 'organisation_tags' as list from organisation_tag
),

carried as (
    select
        canonical_tag as tag,
        count(distinct reference_id) as cables,
        mode(tag_kind) as tag_kind,
    from tag
    where canonical_tag is not null
    group by canonical_tag
),

tags as (
    select tag from listed
    union
    select tag from carried
),

vocabularies as (
    select tag, list_sort(list(distinct list)) as vocabulary
    from listed
    group by tag
),

final as (
    select
        tags.tag,
        coalesce(
            tag_meaning.kind,
            project_tag_kind.kind,
            carried.tag_kind,
            case
                when subject_tag.tag is not null then 'subject'
                when organisation_tag.tag is not null then 'organisation'
            end
        ) as kind,
        tag_meaning.meaning,
        tag_meaning.source,
        nullif(tag_meaning.note, '') as note,
        coalesce(vocabularies.vocabulary, []::varchar[]) as vocabulary,
        coalesce(carried.cables, 0) as cables,
    from tags
    left join tag_meaning on tags.tag = tag_meaning.tag
    left join project_tag_kind on tags.tag = project_tag_kind.tag
    left join subject_tag on tags.tag = subject_tag.tag
    left join organisation_tag on tags.tag = organisation_tag.tag
    left join carried on tags.tag = carried.tag
    left join vocabularies on tags.tag = vocabularies.tag
)

select * from final
order by tag
