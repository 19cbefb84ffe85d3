-- one row per REF item (per cited id) that leads to no cable of the release: a cable id not among the release's reference ids, or an item with no cable id (e-mail, telcon, letter, memo, other)
-- reference_id: the citing cable (reference.reference_id)
-- citing_year: the year of creation of the citing cable
-- position: the item's position among the cable's REF items (1-based)
-- part: the cited id's position within the item (1-based)
-- letter: the item's letter (A, B, ...); null when unlettered
-- kind: what the item cites (cable, e-mail, telcon, letter, memo, other)
-- reason: not_in_release (a cable id none of the release's 251,287 ids matches: never released, or misprinted) or no_id (the item names no cable id)
-- referenced_id: the cable id read from the item (for not_in_release); null for no_id
-- raw: the item as printed, to read what it refers to

with

refs as (
    select * from reference
),

citing as (
    select reference_id, year(created_at) as year
    from cable
),

unresolved as (
    select
        refs.*,
        case when refs.referenced_id is null then 'no_id' else 'not_in_release' end as reason,
    from refs
    where refs.referenced_id is null or not refs.in_release
),

final as (
    select
        unresolved.reference_id,
        citing.year as citing_year,
        unresolved.position,
        unresolved.part,
        unresolved.letter,
        unresolved.kind,
        unresolved.reason,
        unresolved.referenced_id,
        unresolved.raw,
    from unresolved
    inner join citing on unresolved.reference_id = citing.reference_id
)

select * from final
order by reference_id, position, part
