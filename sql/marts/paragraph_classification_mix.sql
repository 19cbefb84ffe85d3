-- one row per cable: its body paragraphs and their characters by portion marking level (S, C, U, other, unmarked), with shares
-- reference_id: the cable's reference id (cable.reference_id)
-- classification: the cable's printed classification (cable.classification)
-- paragraphs: body paragraphs of the cable (0 when the body has none)
-- secret_paragraphs: paragraphs marked at level S, e.g. (S) or (S/NF)
-- confidential_paragraphs: paragraphs marked at level C, e.g. (C) or (C/NF)
-- unclassified_paragraphs: paragraphs marked at level U, e.g. (U)
-- other_paragraphs: paragraphs marked at another level (SBU, LOU, TS)
-- unmarked_paragraphs: paragraphs with no portion marking
-- noforn_paragraphs: paragraphs whose marking carries the NOFORN caveat (any level)
-- characters: characters of all paragraph texts (paragraph.text: page markers and SIPDIS lines removed)
-- secret_characters: characters of the S paragraphs
-- confidential_characters: characters of the C paragraphs
-- unclassified_characters: characters of the U paragraphs
-- other_characters: characters of the SBU, LOU and TS paragraphs
-- unmarked_characters: characters of the unmarked paragraphs
-- secret_paragraph_share: secret_paragraphs / paragraphs (null when the cable has no paragraph)
-- confidential_paragraph_share: confidential_paragraphs / paragraphs
-- unclassified_paragraph_share: unclassified_paragraphs / paragraphs
-- other_paragraph_share: other_paragraphs / paragraphs
-- unmarked_paragraph_share: unmarked_paragraphs / paragraphs
-- secret_character_share: secret_characters / characters (null when the cable has no characters)
-- confidential_character_share: confidential_characters / characters
-- unclassified_character_share: unclassified_characters / characters
-- other_character_share: other_characters / characters
-- unmarked_character_share: unmarked_characters / characters

with

paragraphs as (
    select
        reference_id,
        case
            when level is null then 'unmarked'
            when level = 'S' then 'secret'
            when level = 'C' then 'confidential'
            when level = 'U' then 'unclassified'
            else 'other'
        end as mark,
        list_contains(caveats, 'NOFORN') as noforn,
        length(text) as characters,
    from paragraph
),

counts as (
    select
        reference_id,
        count(*) as paragraphs,
        count(*) filter (where mark = 'secret') as secret_paragraphs,
        count(*) filter (where mark = 'confidential') as confidential_paragraphs,
        count(*) filter (where mark = 'unclassified') as unclassified_paragraphs,
        count(*) filter (where mark = 'other') as other_paragraphs,
        count(*) filter (where mark = 'unmarked') as unmarked_paragraphs,
        count(*) filter (where noforn) as noforn_paragraphs,
        sum(characters) as characters,
        coalesce(sum(characters) filter (where mark = 'secret'), 0) as secret_characters,
        coalesce(sum(characters) filter (where mark = 'confidential'), 0) as confidential_characters,
        coalesce(sum(characters) filter (where mark = 'unclassified'), 0) as unclassified_characters,
        coalesce(sum(characters) filter (where mark = 'other'), 0) as other_characters,
        coalesce(sum(characters) filter (where mark = 'unmarked'), 0) as unmarked_characters,
    from paragraphs
    group by reference_id
),

cables as (
    select
        cable.reference_id,
        cable.classification,
        coalesce(counts.paragraphs, 0) as paragraphs,
        coalesce(counts.secret_paragraphs, 0) as secret_paragraphs,
        coalesce(counts.confidential_paragraphs, 0) as confidential_paragraphs,
        coalesce(counts.unclassified_paragraphs, 0) as unclassified_paragraphs,
        coalesce(counts.other_paragraphs, 0) as other_paragraphs,
        coalesce(counts.unmarked_paragraphs, 0) as unmarked_paragraphs,
        coalesce(counts.noforn_paragraphs, 0) as noforn_paragraphs,
        coalesce(counts.characters, 0)::bigint as characters,
        coalesce(counts.secret_characters, 0)::bigint as secret_characters,
        coalesce(counts.confidential_characters, 0)::bigint as confidential_characters,
        coalesce(counts.unclassified_characters, 0)::bigint as unclassified_characters,
        coalesce(counts.other_characters, 0)::bigint as other_characters,
        coalesce(counts.unmarked_characters, 0)::bigint as unmarked_characters,
    from cable
    left join counts on cable.reference_id = counts.reference_id
),

final as (
    select
        *,
        secret_paragraphs / nullif(paragraphs, 0) as secret_paragraph_share,
        confidential_paragraphs / nullif(paragraphs, 0) as confidential_paragraph_share,
        unclassified_paragraphs / nullif(paragraphs, 0) as unclassified_paragraph_share,
        other_paragraphs / nullif(paragraphs, 0) as other_paragraph_share,
        unmarked_paragraphs / nullif(paragraphs, 0) as unmarked_paragraph_share,
        secret_characters / nullif(characters, 0) as secret_character_share,
        confidential_characters / nullif(characters, 0) as confidential_character_share,
        unclassified_characters / nullif(characters, 0) as unclassified_character_share,
        other_characters / nullif(characters, 0) as other_character_share,
        unmarked_characters / nullif(characters, 0) as unmarked_character_share,
    from cables
)

select * from final
order by reference_id
