//! Country names for reports, in English, Spanish and Portuguese.
//!
//! Participants give an ISO 3166-1 alpha-2 code, checked against the one list of codes
//! (`domain::countries`) when they join. The table covers the Americas and the
//! countries most often invited to the region's workshops; any other code is shown as
//! the code itself, which is still unambiguous.

use super::Lang;

/// `(code, English, Spanish, Portuguese)`, sorted by code.
const NAMES: &[(&str, &str, &str, &str)] = &[
    ("AD", "Andorra", "Andorra", "Andorra"),
    (
        "AG",
        "Antigua and Barbuda",
        "Antigua y Barbuda",
        "Antígua e Barbuda",
    ),
    ("AO", "Angola", "Angola", "Angola"),
    ("AR", "Argentina", "Argentina", "Argentina"),
    ("BB", "Barbados", "Barbados", "Barbados"),
    ("BO", "Bolivia", "Bolivia", "Bolívia"),
    ("BR", "Brazil", "Brasil", "Brasil"),
    ("BS", "Bahamas", "Bahamas", "Bahamas"),
    ("BZ", "Belize", "Belice", "Belize"),
    ("CA", "Canada", "Canadá", "Canadá"),
    ("CL", "Chile", "Chile", "Chile"),
    ("CO", "Colombia", "Colombia", "Colômbia"),
    ("CR", "Costa Rica", "Costa Rica", "Costa Rica"),
    ("CU", "Cuba", "Cuba", "Cuba"),
    ("CV", "Cabo Verde", "Cabo Verde", "Cabo Verde"),
    ("DE", "Germany", "Alemania", "Alemanha"),
    ("DM", "Dominica", "Dominica", "Dominica"),
    (
        "DO",
        "Dominican Republic",
        "República Dominicana",
        "República Dominicana",
    ),
    ("EC", "Ecuador", "Ecuador", "Equador"),
    ("ES", "Spain", "España", "Espanha"),
    ("FR", "France", "Francia", "França"),
    ("GB", "United Kingdom", "Reino Unido", "Reino Unido"),
    ("GD", "Grenada", "Granada", "Granada"),
    (
        "GQ",
        "Equatorial Guinea",
        "Guinea Ecuatorial",
        "Guiné Equatorial",
    ),
    ("GT", "Guatemala", "Guatemala", "Guatemala"),
    ("GY", "Guyana", "Guyana", "Guiana"),
    ("HN", "Honduras", "Honduras", "Honduras"),
    ("HT", "Haiti", "Haití", "Haiti"),
    ("IT", "Italy", "Italia", "Itália"),
    ("JM", "Jamaica", "Jamaica", "Jamaica"),
    ("JP", "Japan", "Japón", "Japão"),
    (
        "KN",
        "Saint Kitts and Nevis",
        "San Cristóbal y Nieves",
        "São Cristóvão e Névis",
    ),
    ("KR", "Korea", "Corea", "Coreia"),
    ("LC", "Saint Lucia", "Santa Lucía", "Santa Lúcia"),
    ("MX", "Mexico", "México", "México"),
    ("MZ", "Mozambique", "Mozambique", "Moçambique"),
    ("NI", "Nicaragua", "Nicaragua", "Nicarágua"),
    ("NL", "Netherlands", "Países Bajos", "Países Baixos"),
    ("PA", "Panama", "Panamá", "Panamá"),
    ("PE", "Peru", "Perú", "Peru"),
    ("PR", "Puerto Rico", "Puerto Rico", "Porto Rico"),
    ("PT", "Portugal", "Portugal", "Portugal"),
    ("PY", "Paraguay", "Paraguay", "Paraguai"),
    ("SR", "Suriname", "Surinam", "Suriname"),
    ("SV", "El Salvador", "El Salvador", "El Salvador"),
    (
        "TT",
        "Trinidad and Tobago",
        "Trinidad y Tobago",
        "Trinidad e Tobago",
    ),
    ("US", "United States", "Estados Unidos", "Estados Unidos"),
    ("UY", "Uruguay", "Uruguay", "Uruguai"),
    (
        "VC",
        "Saint Vincent and the Grenadines",
        "San Vicente y las Granadinas",
        "São Vicente e Granadinas",
    ),
    ("VE", "Venezuela", "Venezuela", "Venezuela"),
];

/// The name of the country with ISO code `code` in `lang`, or the code when unknown.
pub(crate) fn name(code: &str, lang: Lang) -> String {
    match NAMES.binary_search_by(|row| row.0.cmp(code)) {
        Ok(i) => {
            let (_, en, es, pt) = NAMES[i];
            match lang {
                Lang::En => en,
                Lang::Es => es,
                Lang::Pt => pt,
            }
            .to_string()
        }
        Err(_) => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_so_lookups_find_every_row() {
        assert!(NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, en, _, _) in NAMES {
            assert_eq!(name(code, Lang::En), *en);
        }
    }

    #[test]
    fn every_named_country_is_one_a_participant_may_give() {
        for (code, ..) in NAMES {
            assert!(crate::domain::countries::exists(code), "{code}");
        }
    }

    #[test]
    fn names_follow_the_language_and_unknown_codes_stay_codes() {
        assert_eq!(name("BR", Lang::En), "Brazil");
        assert_eq!(name("BR", Lang::Es), "Brasil");
        assert_eq!(name("PE", Lang::Es), "Perú");
        assert_eq!(name("DO", Lang::Pt), "República Dominicana");
        assert_eq!(name("ZZ", Lang::Es), "ZZ");
    }
}
