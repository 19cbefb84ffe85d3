-- one row per origin, month of creation and classification as printed, with its cable count
with

cables as (
    select
        origin,
        date_trunc('month', created_at)::date as month,
        classification,
    from cable
),

final as (
    select
        origin,
        month,
        classification,
        count(*) as cables,
    from cables
    group by all
)

select * from final
order by origin, month, classification
