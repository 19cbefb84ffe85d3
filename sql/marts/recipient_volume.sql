-- one row per addressee name, kind (to or info) and precedence: how many cables it received that way (XMT exclusions left out)
-- name: the addressee as printed (recipient.name), e.g. SECSTATE WASHDC
-- routing_name: the station its routing indicator stands for (the most frequent recipient.routing_name of the name; null when no indicator is known)
-- kind: to (action addressee) or info (information addressee)
-- precedence: the precedence printed for the addressee (FLASH, NIACT IMMEDIATE, IMMEDIATE, PRIORITY, ROUTINE); null when none is printed
-- cables: cables addressed to the name with this kind and precedence
-- name_cables: cables addressed to the name in any kind and precedence
-- share: cables / all cables in the warehouse
-- name_rank: the name's rank by name_cables (1 = receives the most cables; ties share a rank)

with

addressees as (
    select reference_id, name, routing_name, kind, precedence
    from recipient
    where kind in ('to', 'info')
),

names as (
    select
        name,
        mode(routing_name) as routing_name,
        count(distinct reference_id) as name_cables,
    from addressees
    group by name
),

counts as (
    select
        name,
        kind,
        precedence,
        count(distinct reference_id) as cables,
    from addressees
    group by all
),

total as (
    select count(*) as cables from cable
),

final as (
    select
        counts.name,
        names.routing_name,
        counts.kind,
        counts.precedence,
        counts.cables,
        names.name_cables,
        counts.cables / total.cables as share,
        dense_rank() over (order by names.name_cables desc) as name_rank,
    from counts
    inner join names on counts.name = names.name
    cross join total
)

select * from final
order by name_rank, name, kind desc, cables desc, precedence
