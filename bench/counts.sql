-- Hand-written DuckDB SQL: the count and ratio indicators per community for one year.
-- {dir} is the dataset folder, {ext} the file ending (parquet or csv), {year} the year.
-- Used by bench/run.py as the baseline (a) that `evalkit indicators` is measured against.
WITH com AS (
    SELECT c.community_id,
           COALESCE(y.households, c.households) AS households,
           COALESCE(y.population, c.population) AS population
    FROM {read}('{dir}/communities.{ext}') c
    LEFT JOIN (SELECT * FROM {read}('{dir}/community_years.{ext}') WHERE year = {year}) y
           ON y.community_id = c.community_id
), dis AS (
    SELECT community_id, COUNT(*) AS cases,
           SUM(CASE WHEN status = 'resolved' AND resolved_on <= DATE '{year}-12-31' THEN 1 ELSE 0 END) AS resolved,
           SUM(CASE WHEN status = 'escalated' THEN 1 ELSE 0 END) AS escalated
    FROM {read}('{dir}/disputes.{ext}')
    WHERE reported_on BETWEEN DATE '{year}-01-01' AND DATE '{year}-12-31'
    GROUP BY 1
), vol AS (
    SELECT * FROM {read}('{dir}/volunteers.{ext}')
    WHERE registered_on <= DATE '{year}-12-31' AND (left_on IS NULL OR left_on >= DATE '{year}-01-01')
), hrs AS (
    SELECT volunteer_id, SUM(hours) AS hours
    FROM {read}('{dir}/volunteer_hours.{ext}')
    WHERE served_on BETWEEN DATE '{year}-01-01' AND DATE '{year}-12-31'
    GROUP BY 1
), hv AS (
    SELECT v.community_id, SUM(h.hours) AS hours
    FROM hrs h JOIN {read}('{dir}/volunteers.{ext}') v ON v.volunteer_id = h.volunteer_id
    GROUP BY 1
), va AS (
    SELECT vol.community_id, COUNT(*) AS registered,
           SUM(CASE WHEN hrs.volunteer_id IS NOT NULL THEN 1 ELSE 0 END) AS active,
           SUM(CASE WHEN hrs.volunteer_id IS NOT NULL AND vol.party_member THEN 1 ELSE 0 END) AS party_active
    FROM vol LEFT JOIN hrs ON hrs.volunteer_id = vol.volunteer_id
    GROUP BY 1
), cad AS (
    SELECT c.community_id, COUNT(*) AS cadres,
           SUM(CASE WHEN education IN ('college', 'bachelor', 'postgraduate') THEN 1 ELSE 0 END) AS college
    FROM {read}('{dir}/cadres.{ext}') c
    JOIN (SELECT community_id, MAX(term_year) AS term FROM {read}('{dir}/cadres.{ext}')
          WHERE term_year <= {year} GROUP BY 1) t
      ON t.community_id = c.community_id AND t.term = c.term_year
    WHERE c.role <> 'grid_worker'
    GROUP BY 1
)
SELECT com.community_id,
       COALESCE(dis.cases, 0) AS dispute_count,
       1000.0 * COALESCE(dis.cases, 0) / com.households AS dispute_rate,
       dis.resolved / dis.cases AS dispute_resolution_rate,
       dis.escalated / dis.cases AS dispute_escalation_rate,
       100.0 * COALESCE(va.registered, 0) / com.population AS volunteer_registration_rate,
       va.active / va.registered AS volunteer_active_rate,
       COALESCE(hv.hours, 0) / com.population AS volunteer_hours_per_resident,
       va.party_active / NULLIF(va.active, 0) AS volunteer_party_share,
       cad.college / cad.cadres AS cadre_college_share
FROM com
LEFT JOIN dis ON dis.community_id = com.community_id
LEFT JOIN va ON va.community_id = com.community_id
LEFT JOIN hv ON hv.community_id = com.community_id
LEFT JOIN cad ON cad.community_id = com.community_id
ORDER BY com.community_id
