-- one row per citing cable and cable id it cites in its REF blocks (a cited id printed in several REF items is one edge; a cable's own id, read from a page marker next to the REF block, is left out)
-- citing_id: the reference id of the citing cable (reference.reference_id = cable.reference_id)
-- citing_year: the year of creation of the citing cable (cable.created_at)
-- citing_station: the citing cable's station, from its canonical id (08TRIPOLI220 -> TRIPOLI)
-- cited_id: the cited cable id as read from the REF item (reference.referenced_id), e.g. 08TRIPOLI481
-- cited_year: the cited cable's year of creation, from the id's two leading digits (00-49: 20xx, 50-99: 19xx)
-- cited_station: the cited cable's station, the text between the year and the serial of cited_id
-- cited_in_release: whether cited_id is among the 251,287 reference ids of the full release (reference.in_release)
-- cited_in_warehouse: whether a cable of this warehouse has cited_id as its canonical id
-- cited_reference_id: that cable's reference id as printed (differs from cited_id for malformed ids); when several cables share the canonical id, the one printed as it, else the first; null when not in the warehouse
-- items: REF items of the citing cable that cite this id (usually 1)
-- letters: the letters of those items (A, B, ...), in page order; empty when the items have no letter

with

refs as (
    select reference_id, position, part, letter, referenced_id, in_release
    from reference
    where referenced_id is not null
),

cables as (
    select
        reference_id,
        canonical_id,
        year(created_at) as year,
        regexp_extract(canonical_id, '^[0-9]{2}([A-Z]+)[0-9]+$', 1) as station,
    from cable
),

-- One cable per canonical id: malformed ids of the release can stand for an id another cable has.
cited as (
    select
        canonical_id,
        first(reference_id order by reference_id <> canonical_id, reference_id) as reference_id,
    from cable
    group by canonical_id
),

edges as (
    select
        reference_id as citing_id,
        referenced_id as cited_id,
        bool_or(in_release) as cited_in_release,
        count(*) as items,
        coalesce(list(letter order by position, part) filter (where letter is not null), []::varchar[]) as letters,
    from refs
    group by reference_id, referenced_id
),

final as (
    select
        edges.citing_id,
        citing.year as citing_year,
        citing.station as citing_station,
        edges.cited_id,
        case
            when left(edges.cited_id, 2)::int < 50 then 2000 + left(edges.cited_id, 2)::int
            else 1900 + left(edges.cited_id, 2)::int
        end as cited_year,
        regexp_extract(edges.cited_id, '^[0-9]{2}([A-Z]+)[0-9]+$', 1) as cited_station,
        edges.cited_in_release,
        cited.reference_id is not null as cited_in_warehouse,
        cited.reference_id as cited_reference_id,
        edges.items,
        edges.letters,
    from edges
    inner join cables as citing on edges.citing_id = citing.reference_id
    left join cited on edges.cited_id = cited.canonical_id
    where edges.cited_id <> citing.canonical_id
)

select * from final
order by citing_id, cited_id
