-- one row per news host and month of release of the cited cables (cable.released_at, when WikiLeaks published the cable, not when it was written): the cables that host's articles cite
-- host: the article's host name (media_link.host), e.g. www.spiegel.de; hosts that are not domain names (link texts such as `in` or `(02-06-09)` read as URLs) are left out
-- outlet: the host without a leading www., so www.nytimes.com and nytimes.com group together
-- release_month: the first day of the month in which the cited cables were released (cable.released_at)
-- cables: cables released that month cited by the host's articles
-- links: article links from the host to those cables (media_link rows)
-- reference_ids: the cited cables' reference ids, alphabetically

with

links as (
    select reference_id, url, host
    from media_link
    where regexp_full_match(host, '[a-z0-9-]+(\.[a-z0-9-]+)+')
),

cables as (
    select reference_id, date_trunc('month', released_at)::date as release_month
    from cable
),

final as (
    select
        links.host,
        regexp_replace(links.host, '^www\.', '') as outlet,
        cables.release_month,
        count(distinct links.reference_id) as cables,
        count(*) as links,
        list_sort(list(distinct links.reference_id)) as reference_ids,
    from links
    inner join cables on links.reference_id = cables.reference_id
    group by links.host, cables.release_month
)

select * from final
order by host, release_month
