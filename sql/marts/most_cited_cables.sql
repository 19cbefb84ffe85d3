-- one row per cable id cited by at least one cable of the warehouse, ranked by the number of cables citing it
-- cited_id: the cited cable id (citation_edge.cited_id)
-- cited_year: its year of creation, from the id's two leading digits
-- cited_station: its station, from the id (08TRIPOLI481 -> TRIPOLI)
-- in_release: whether the id is among the reference ids of the full release
-- in_warehouse: whether the cited cable is in this warehouse (then subject_title is known)
-- subject_title: the cited cable's subject in title case (cable.subject_title); null when not in the warehouse
-- citing_cables: cables of the warehouse that cite it
-- citing_stations: distinct stations of those cables
-- first_citing_year: the earliest year of creation of a citing cable
-- last_citing_year: the latest year of creation of a citing cable
-- citation_rank: the rank by citing_cables (1 = the most cited; ties share a rank)

with

edges as (
    select * from citation_edge
),

counts as (
    select
        cited_id,
        any_value(cited_year) as cited_year,
        any_value(cited_station) as cited_station,
        bool_or(cited_in_release) as in_release,
        any_value(cited_reference_id) as cited_reference_id,
        count(*) as citing_cables,
        count(distinct citing_station) as citing_stations,
        min(citing_year) as first_citing_year,
        max(citing_year) as last_citing_year,
    from edges
    group by cited_id
),

final as (
    select
        counts.cited_id,
        counts.cited_year,
        counts.cited_station,
        counts.in_release,
        counts.cited_reference_id is not null as in_warehouse,
        cable.subject_title,
        counts.citing_cables,
        counts.citing_stations,
        counts.first_citing_year,
        counts.last_citing_year,
        rank() over (order by counts.citing_cables desc) as citation_rank,
    from counts
    left join cable on counts.cited_reference_id = cable.reference_id
)

select * from final
order by citation_rank, cited_id
